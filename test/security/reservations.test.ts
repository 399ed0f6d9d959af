import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_KEY, connectStack, createLot, lotCounts, uniquePlate, waitForSaga, type TestStack } from '../support/stack';

// Issue 10: a hostile user with a free account tries to block lots or drivers with reservations.

let stack: TestStack;
beforeAll(async () => {
  stack = await connectStack({ waitMs: 30_000 });
});
afterAll(async () => stack?.close());

const MINUTE = 60_000;

/** A period from `start` minutes from now, `length` minutes long. */
function period(start: number, length: number) {
  const at = Date.now() + start * MINUTE;
  return { startsAt: new Date(at).toISOString(), endsAt: new Date(at + length * MINUTE).toISOString() };
}

/** A signed-up user with one registered vehicle (more on request). */
async function user(vehicles = 1) {
  const id = `sec-${randomUUID()}`;
  const headers = { authorization: `Bearer ${stack.token('user', id, `${id}@test.example`)}` };
  const plates: string[] = [];
  for (let i = 0; i < vehicles; i++) plates.push(await register(headers, uniquePlate()));
  return { id, headers, plate: plates[0]!, plates };
}

async function register(headers: Record<string, string>, plate: string) {
  const res = await stack.app.inject({ method: 'POST', url: '/vehicles', headers, payload: { plate, ownerName: 'Someone' } });
  expect(res.statusCode, res.body).toBe(201);
  return plate;
}

const reserve = (headers: Record<string, string>, body: Record<string, unknown>) =>
  stack.app.inject({ method: 'POST', url: '/reservations', headers, payload: body });

/** What a refused request must leave as it was: the lot's spaces, the user's reservations and payments. */
async function snapshot(lotId: string, userId: string) {
  const reservations = await stack.db.reservation.findMany({ where: { userId }, orderBy: { id: 'asc' } });
  const payments = await stack.db.payment.findMany({ where: { reference: { in: reservations.map((r) => r.id) } }, orderBy: { id: 'asc' } });
  return { lot: await lotCounts(stack, lotId), reservations, payments };
}

describe('security: reservations', () => {
  it('the price comes from the lot: an amount sent by the client is ignored', async () => {
    const attacker = await user();
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 400 });
    const res = await reserve(attacker.headers, { lotId: lot.id, plate: attacker.plate, amount: 1, ...period(-1, 60) });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'COMPLETED', amount: 400 });
    expect(await stack.db.payment.findMany({ where: { reference: res.json().reservationId } })).toMatchObject([{ status: 'CAPTURED', amount: 400 }]);
  });

  it('a lot without a tariff takes no reservations: 409, nothing held or charged', async () => {
    const attacker = await user();
    const lot = await createLot(stack, { capacity: 2 });
    const before = await snapshot(lot.id, attacker.id);
    const res = await reserve(attacker.headers, { lotId: lot.id, plate: attacker.plate, ...period(0, 60) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'LOT_NOT_RESERVABLE' });
    expect(await snapshot(lot.id, attacker.id)).toEqual(before);
  });

  it.each([
    ['longer than 24 h', () => period(0, 24 * 60 + 1), 'endsAt'],
    ['for years', () => ({ startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3 * 365 * 24 * 60 * MINUTE).toISOString() }), 'endsAt'],
    ['starting more than 30 days ahead', () => period(31 * 24 * 60, 60), 'startsAt'],
    ['ending before it starts', () => ({ startsAt: period(60, 0).startsAt, endsAt: period(0, 0).startsAt }), 'endsAt'],
  ])('a reservation %s: 400 naming the field, nothing changed', async (_name, when, field) => {
    const attacker = await user();
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 10 });
    const before = await snapshot(lot.id, attacker.id);
    const res = await reserve(attacker.headers, { lotId: lot.id, plate: attacker.plate, ...when() });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().fields).toMatchObject([{ field }]);
    expect(await snapshot(lot.id, attacker.id)).toEqual(before);
  });

  it('holding every space of a lot: the fourth active reservation of a user is refused (409), nothing held or charged', async () => {
    const attacker = await user(4);
    const lot = await createLot(stack, { capacity: 5, tariffPerHour: 300 });
    for (const plate of attacker.plates.slice(0, 3)) {
      expect((await reserve(attacker.headers, { lotId: lot.id, plate, ...period(120, 60) })).statusCode).toBe(201);
    }
    const before = await snapshot(lot.id, attacker.id);
    expect(before.lot).toMatchObject({ free: 2, reserved: 3 });
    const res = await reserve(attacker.headers, { lotId: lot.id, plate: attacker.plates[3], ...period(120, 60) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'TOO_MANY_RESERVATIONS' });
    expect(await snapshot(lot.id, attacker.id)).toEqual(before);
  });

  it('a concurrent burst of bookings by one user: exactly the cap is accepted, the rest refused 409 with the reason', async () => {
    const cap = 3; // RESERVATION_MAX_ACTIVE_PER_USER's default, which the test stack keeps
    const burst = 7;
    const attacker = await user(burst);
    const lot = await createLot(stack, { capacity: burst + 1, tariffPerHour: 300 });
    // All at once: each booking's saga checks the user's active reservations while the others are being made.
    const answers = await Promise.all(attacker.plates.map((plate) => reserve(attacker.headers, { lotId: lot.id, plate, ...period(120, 60) })));
    const accepted = answers.filter((res) => res.statusCode === 201);
    const refused = answers.filter((res) => res.statusCode === 409);
    expect(answers.map((res) => res.statusCode).sort()).toEqual([...Array(cap).fill(201), ...Array(burst - cap).fill(409)]);
    for (const res of refused) expect(res.json()).toMatchObject({ reason: 'TOO_MANY_RESERVATIONS' });
    const active = await stack.db.reservation.findMany({ where: { userId: attacker.id, status: { in: ['PENDING', 'COMPLETED'] } } });
    expect(active.map((r) => r.id).sort()).toEqual(accepted.map((res) => res.json().reservationId).sort());
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: burst + 1 - cap, reserved: cap });
  });

  it('one plate cannot be booked twice for overlapping periods (409)', async () => {
    const attacker = await user();
    const lot = await createLot(stack, { capacity: 5, tariffPerHour: 300 });
    expect((await reserve(attacker.headers, { lotId: lot.id, plate: attacker.plate, ...period(120, 60) })).statusCode).toBe(201);
    const before = await snapshot(lot.id, attacker.id);
    const res = await reserve(attacker.headers, { lotId: lot.id, plate: attacker.plate, ...period(150, 60) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'PLATE_ALREADY_RESERVED' });
    expect(await snapshot(lot.id, attacker.id)).toEqual(before);
  });

  it("someone else's plate registered and booked gives no power at the gate: the car arriving early gets a free space", async () => {
    const attacker = await user(0);
    const victimPlate = await register(attacker.headers, uniquePlate()); // the attacker got there first
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const booked = await reserve(attacker.headers, { lotId: lot.id, plate: victimPlate, ...period(120, 60) });
    expect(booked.statusCode, booked.body).toBe(201);
    const entry = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', headers: { 'x-device-key': DEVICE_KEY }, payload: { lotId: lot.id, plate: victimPlate } });
    expect(entry.statusCode, entry.body).toBe(201);
    expect(entry.json().spaceId).not.toBe(booked.json().spaceId);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 0, occupied: 1, reserved: 1 });
    // The reservation was not used by that entry: it still waits for its own period.
    expect(await stack.db.reservation.findUniqueOrThrow({ where: { id: booked.json().reservationId } })).toMatchObject({ status: 'COMPLETED' });
  });

  it('a late cancellation keeps the policy fee; the refund follows it and is recorded', async () => {
    const driver = await user();
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 400 });
    const booked = (await reserve(driver.headers, { lotId: lot.id, plate: driver.plate, ...period(30, 60) })).json();
    expect(booked).toMatchObject({ status: 'COMPLETED', amount: 400 });
    const cancel = await stack.app.inject({ method: 'POST', url: `/reservations/${booked.reservationId}/cancel`, headers: driver.headers, payload: { reason: 'late' } });
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json()).toMatchObject({ cancellationFee: 200 });
    await waitForSaga(stack, booked.sagaId, (s) => s.status === 'COMPENSATED');
    expect(await stack.db.payment.findMany({ where: { reference: booked.reservationId } })).toMatchObject([{ status: 'REFUNDED', amount: 400, refundedAmount: 200 }]);
    expect(await stack.db.reservation.findUniqueOrThrow({ where: { id: booked.reservationId } })).toMatchObject({
      status: 'CANCELLED',
      cancellationFee: 200,
      refundedAmount: 200,
    });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 0 });
  });

  it("another user's reservation cannot be cancelled or read (404), and stays as it was", async () => {
    const driver = await user();
    const attacker = await user();
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 400 });
    const booked = (await reserve(driver.headers, { lotId: lot.id, plate: driver.plate, ...period(120, 60) })).json();
    const before = await snapshot(lot.id, driver.id);
    expect((await stack.app.inject({ method: 'POST', url: `/reservations/${booked.reservationId}/cancel`, headers: attacker.headers })).statusCode).toBe(404);
    expect((await stack.app.inject({ method: 'GET', url: `/reservations/${booked.reservationId}`, headers: attacker.headers })).statusCode).toBe(404);
    expect(await snapshot(lot.id, driver.id)).toEqual(before);
  });

  it('only an admin sets a tariff', async () => {
    const attacker = await user(0);
    const lot = await createLot(stack, { capacity: 1 });
    const res = await stack.app.inject({ method: 'PUT', url: `/lots/${lot.id}/tariff`, headers: attacker.headers, payload: { tariffPerHour: 1 } });
    expect(res.statusCode).toBe(403);
    expect((await stack.app.inject({ method: 'GET', url: `/lots/${lot.id}` })).json()).toMatchObject({ tariffPerHour: null });
    const set = await stack.app.inject({ method: 'PUT', url: `/lots/${lot.id}/tariff`, payload: { tariffPerHour: 0 } });
    expect(set.statusCode).toBe(400);
    expect((await stack.app.inject({ method: 'PUT', url: `/lots/${lot.id}/tariff`, payload: { tariffPerHour: 120 } })).json()).toMatchObject({ tariffPerHour: 120 });
  });
});
