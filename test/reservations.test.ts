import { describe, expect, it } from 'vitest';
import { sagaHistoryOf } from './support/history';
import { DEVICE_KEY, registerDriver, useStack, createLot, lotCounts, uniquePlate, waitForSaga } from './support/stack';

/** How long the API waits for a saga's answer. */
const SAGA_WAIT_MS = 30_000;

const stack = useStack({ waitMs: SAGA_WAIT_MS });

/** A driver with a registered vehicle. */
const driver = () => registerDriver(stack);

const minutes = (n: number) => new Date(Date.now() + n * 60_000).toISOString();
/** A period from `start` minutes from now, `length` minutes long (both ends from one clock reading). */
function period(start: number, length: number) {
  const at = Date.now() + start * 60_000;
  return { startsAt: new Date(at).toISOString(), endsAt: new Date(at + length * 60_000).toISOString() };
}

function reserve(headers: Record<string, string>, body: Record<string, unknown>) {
  return stack.app.inject({ method: 'POST', url: '/reservations', headers, payload: body });
}

async function reservationOf(headers: Record<string, string>, id: string) {
  return (await stack.app.inject({ method: 'GET', url: `/reservations/${id}`, headers })).json();
}

async function waitForReservation(headers: Record<string, string>, id: string, status: string, timeoutMs = 30_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const r = await reservationOf(headers, id);
    if (r.status === status) return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`reservation ${id} never became ${status}: ${JSON.stringify(await reservationOf(headers, id))}`);
}

describe('reservation saga', () => {
  it('books and pays 300 or more: COMPLETED, the space held, the payment captured', async () => {
    const { headers, plate } = await driver();
    const lot = await createLot(stack, { capacity: 3, tariffPerHour: 150 });
    // Priced by the lot: two started hours at 150; an amount the client sends is ignored.
    const res = await reserve(headers, { lotId: lot.id, plate, amount: 1, ...period(-1, 61) });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: 'COMPLETED', plate, amount: 300 });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 1 });
    expect(await reservationOf(headers, body.reservationId)).toMatchObject({ status: 'COMPLETED', spaceId: body.spaceId });
    expect(await stack.db.payment.findMany({ where: { reference: body.reservationId } })).toMatchObject([{ status: 'CAPTURED', amount: 300 }]);
    // The held space is not for other cars.
    const other = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate: uniquePlate() } });
    expect(other.statusCode).toBe(201);
    expect(other.json().spaceId).not.toBe(body.spaceId);
  });

  it('under 300 the payment side declines: CANCELLED, its space free again', async () => {
    const { headers, plate } = await driver();
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 299 });
    const res = await reserve(headers, { lotId: lot.id, plate, ...period(0, 60) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 0 });
    expect(await reservationOf(headers, res.json().reservationId)).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
  });

  it('needs a registered vehicle', async () => {
    const { headers } = await driver();
    const lot = await createLot(stack, { tariffPerHour: 500 });
    const res = await reserve(headers, { lotId: lot.id, plate: uniquePlate(), ...period(0, 60) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'VEHICLE_NOT_REGISTERED' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ reserved: 0 });
  });

  it('the arriving car takes its held space, and the reservation ends USED', async () => {
    const { headers, plate } = await driver();
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 400 });
    const booked = (await reserve(headers, { lotId: lot.id, plate, ...period(-1, 60) })).json();
    const entry = await stack.app.inject({
      method: 'POST',
      url: '/vehicle-entries',
      headers: { 'x-device-key': DEVICE_KEY },
      payload: { lotId: lot.id, plate },
    });
    expect(entry.statusCode).toBe(201);
    expect(entry.json().spaceId).toBe(booked.spaceId);
    await waitForReservation(headers, booked.reservationId, 'USED');
    const saga = await waitForSaga(stack, booked.sagaId, (s) => s.endedAt !== undefined);
    expect(saga).toMatchObject({ status: 'COMPLETED', result: { status: 'USED' } });
    expect(saga.actions).toMatchObject([{ action: 'vehicleArrived', by: entry.json().sagaId, accepted: true }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 1, occupied: 1, reserved: 0 });
    // And it leaves like any car.
    const exit = await stack.app.inject({ method: 'POST', url: '/vehicle-exits', payload: { lotId: lot.id, plate } });
    expect(exit.statusCode).toBe(201);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, occupied: 0, reserved: 0 });
  });

  it('at the end time without the car, the space is released and the reservation EXPIRED (the payment is kept)', async () => {
    const { headers, plate } = await driver();
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 350 });
    // The booking ends when the API stops waiting for the saga's answer. So a booking answered
    // COMPLETED (held and paid) was made before its end however slow the machine is, and the
    // saga then waits for the car until the end; no race with the clock before the hold.
    const endsAt = new Date(Date.now() + SAGA_WAIT_MS + 1000).toISOString();
    const res = await reserve(headers, { lotId: lot.id, plate, startsAt: minutes(-1), endsAt });
    expect(res.statusCode, res.body).toBe(201);
    const booked = res.json();
    expect(booked).toMatchObject({ status: 'COMPLETED', plate, amount: 350 });

    // The end passes: the saga expires the reservation and ends.
    const ended = await waitForSaga(stack, booked.sagaId, (s) => s.endedAt !== undefined, SAGA_WAIT_MS + 60_000);
    expect(Date.parse(ended.endedAt!)).toBeGreaterThanOrEqual(Date.parse(endsAt));
    expect(ended).toMatchObject({ status: 'COMPLETED', result: { status: 'EXPIRED', spaceId: booked.spaceId }, actions: [] });
    expect(ended.steps.map((s) => [s.name, s.status, s.compensation])).toEqual([
      ['checkPlate', 'COMPLETED', 'NONE'],
      ['createReservation', 'COMPLETED', 'REGISTERED'],
      ['holdSpace', 'COMPLETED', 'REGISTERED'],
      ['authorizePayment', 'COMPLETED', 'REGISTERED'],
      ['capturePayment', 'COMPLETED', 'NONE'],
      ['completeReservation', 'COMPLETED', 'NONE'],
      ['expireReservation', 'COMPLETED', 'NONE'],
    ]);
    // Its database steps ran as local activities, in the saga's own workflow tasks; only the
    // payment went through the task queue (patch reservation-local-steps). The search attributes
    // the API set at the start (type, status, lot, user) were not upserted again.
    const history = await sagaHistoryOf(stack, booked.sagaId);
    expect(history.scheduled).toEqual(['authorizePayment', 'capturePayment']);
    expect(history.local).toEqual(['checkPlate', 'createReservation', 'holdSpace', 'completeReservation', 'expireReservation']);
    expect(history.upserts.filter((u) => !('TemporalChangeVersion' in u))).toEqual([{ Plate: plate }, { ReservationId: booked.reservationId }, { SagaStatus: 'COMPLETED' }]);
    expect(await reservationOf(headers, booked.reservationId)).toMatchObject({ status: 'EXPIRED' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 0 });
    expect(await stack.db.payment.findMany({ where: { reference: booked.reservationId } })).toMatchObject([{ status: 'CAPTURED' }]);
  });

  it('cancelling while it waits refunds the payment and releases the space', async () => {
    const { headers, plate } = await driver();
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 500 });
    // Two hours ahead: free to cancel (the default policy charges from 1 h before the start).
    const booked = (await reserve(headers, { lotId: lot.id, plate, ...period(120, 60) })).json();
    const other = (await driver()).headers;
    expect((await stack.app.inject({ method: 'POST', url: `/reservations/${booked.reservationId}/cancel`, headers: other })).statusCode).toBe(404);
    const cancel = await stack.app.inject({ method: 'POST', url: `/reservations/${booked.reservationId}/cancel`, headers, payload: { reason: 'plans changed' } });
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json()).toMatchObject({ cancellationFee: 0 });
    const cancelled = await waitForReservation(headers, booked.reservationId, 'CANCELLED');
    const saga = await waitForSaga(stack, booked.sagaId, (s) => s.status === 'COMPENSATED');
    expect(saga.actions).toMatchObject([{ action: 'compensate', reason: 'plans changed', accepted: true }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 0 });
    expect(await stack.db.payment.findMany({ where: { reference: booked.reservationId } })).toMatchObject([{ status: 'REFUNDED', refundedAmount: 500 }]);
    expect(cancelled).toMatchObject({ cancellationFee: 0 });
    expect(await reservationOf(headers, booked.reservationId)).toMatchObject({ cancellationFee: 0, refundedAmount: 500 });
    const again = await stack.app.inject({ method: 'POST', url: `/reservations/${booked.reservationId}/cancel`, headers });
    expect(again.statusCode).toBe(409);
  });
});
