import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { createDomains, type Domains } from '../../domains';
import { NotFoundError } from '../../domains/errors';
import { uniquePlate } from '../support/stack';
import { connectDb, rejectionOf, uid } from './helpers';

const HOUR = 3_600_000;

describe('vehicles and reservations', () => {
  let db: Db;
  let d: Domains;

  beforeAll(async () => {
    db = await connectDb();
    d = createDomains(db, { faultsEnabled: true });
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  const period = (fromNowMs = -HOUR, lengthMs = 2 * HOUR) => {
    const startsAt = new Date(Date.now() + fromNowMs);
    return { startsAt, endsAt: new Date(startsAt.getTime() + lengthMs) };
  };

  it('registers a vehicle idempotently (normalised plate); another owner is VEHICLE_EXISTS', async () => {
    const plate = uniquePlate();
    const spaced = `${plate.slice(0, 2)} ${plate.slice(2).toLowerCase()}`;
    const v = await d.reservations.registerVehicle({ plate: spaced, ownerName: 'Ayşe', ownerUserId: 'u1' });
    expect(v).toMatchObject({ plate, ownerName: 'Ayşe', ownerUserId: 'u1', blocked: false });
    expect(await d.reservations.registerVehicle({ plate, ownerName: 'Ayşe', ownerUserId: 'u1' })).toEqual(v);
    expect(await rejectionOf(d.reservations.registerVehicle({ plate, ownerName: 'Mehmet', ownerUserId: 'u2' }))).toMatchObject({
      code: 'VEHICLE_EXISTS',
    });
    expect(await rejectionOf(d.reservations.registerVehicle({ plate: 'XX', ownerName: 'A' }))).toMatchObject({ code: 'INVALID_PLATE' });
    expect(await d.reservations.getVehicle(spaced)).toEqual(v);
    expect(await rejectionOf(d.reservations.getVehicle(uniquePlate()))).toBeInstanceOf(NotFoundError);
  });

  it('creates a reservation once per key and validates it', async () => {
    const plate = uniquePlate();
    const userId = uid('user-');
    await d.reservations.registerVehicle({ plate, ownerName: 'Ali', ownerUserId: userId });
    const base = { userId, lotId: uid('lot-'), plate, amount: 400, ...period() };
    const key = uid('res-');
    const [r1, r2] = await Promise.all([d.reservations.createReservation({ key, ...base }), d.reservations.createReservation({ key, ...base })]);
    expect(r1).toMatchObject({ status: 'PENDING', plate, amount: 400 });
    expect(r2).toEqual(r1);
    expect(await rejectionOf(d.reservations.createReservation({ key, ...base, amount: 500 }))).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });

    const reject = (over: Record<string, unknown>) => rejectionOf(d.reservations.createReservation({ key: uid(), ...base, ...over }));
    expect(await reject({ endsAt: base.startsAt })).toMatchObject({ code: 'INVALID_PERIOD' });
    expect(await reject({ startsAt: 'not a date' })).toMatchObject({ code: 'INVALID_PERIOD' });
    expect(await reject(period(-3 * HOUR, HOUR))).toMatchObject({ code: 'PERIOD_IN_PAST' });
    expect(await reject({ amount: 0 })).toMatchObject({ code: 'INVALID_AMOUNT' });
    expect(await reject({ plate: uniquePlate() })).toMatchObject({ code: 'VEHICLE_NOT_REGISTERED' });
    expect(await reject({ userId: uid('thief-') })).toMatchObject({ code: 'VEHICLE_NOT_OWNED' });
    expect(await reject(period(0, 24 * HOUR + 1))).toMatchObject({ code: 'RESERVATION_TOO_LONG' });
    expect(await reject(period(31 * 24 * HOUR, HOUR))).toMatchObject({ code: 'STARTS_TOO_LATE' });
    expect(await reject({})).toMatchObject({ code: 'PLATE_ALREADY_RESERVED' }); // r1 holds the plate for that period
    await d.reservations.setVehicleBlocked(plate, true);
    expect(await reject({})).toMatchObject({ code: 'PLATE_BLOCKED' });
  });

  it('a user holds at most 3 active reservations; ended and cancelled ones do not count', async () => {
    const userId = uid('user-');
    const plates = [uniquePlate(), uniquePlate(), uniquePlate(), uniquePlate()];
    for (const plate of plates) await d.reservations.registerVehicle({ plate, ownerName: 'Ece', ownerUserId: userId });
    const book = (plate: string) => d.reservations.createReservation({ key: uid(), userId, lotId: uid('lot-'), plate, amount: 400, ...period() });
    const [first] = [await book(plates[0]!), await book(plates[1]!), await book(plates[2]!)];
    expect(await rejectionOf(book(plates[3]!))).toMatchObject({ code: 'TOO_MANY_RESERVATIONS' });
    await d.reservations.cancelReservationByKey(first!.key, 'changed plans');
    expect(await book(plates[3]!)).toMatchObject({ status: 'PENDING' });
  });

  it('a concurrent burst by one user, from several processes at once, creates exactly the cap', async () => {
    // Three clients stand for three worker processes: each has its own connections.
    const clients = [db, await connectDb(), await connectDb()];
    try {
      const services = clients.map((c) => createDomains(c, { faultsEnabled: true }).reservations);
      const userId = uid('burst-');
      const plates = Array.from({ length: 9 }, () => uniquePlate());
      for (const plate of plates) await d.reservations.registerVehicle({ plate, ownerName: 'Ece', ownerUserId: userId });
      const outcomes = await Promise.allSettled(
        plates.map((plate, i) => services[i % services.length]!.createReservation({ key: uid(), userId, lotId: uid('lot-'), plate, amount: 400, ...period() })),
      );
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as { code?: string }).code] : []));
      expect(refusals).toEqual(Array(plates.length - 3).fill('TOO_MANY_RESERVATIONS'));
      expect(await db.reservation.count({ where: { userId, status: { in: ['PENDING', 'COMPLETED'] } } })).toBe(3);
    } finally {
      await Promise.all(clients.slice(1).map((c) => c.$disconnect()));
    }
  });

  it('a concurrent burst for one unowned plate by several users books the period once', async () => {
    const clients = [db, await connectDb(), await connectDb()];
    try {
      const services = clients.map((c) => createDomains(c, { faultsEnabled: true }).reservations);
      const plate = uniquePlate();
      await d.reservations.registerVehicle({ plate, ownerName: 'Fleet' }); // no owner: any user may book it
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => services[i % services.length]!.createReservation({ key: uid(), userId: uid('u-'), lotId: uid('lot-'), plate, amount: 400, ...period() })),
      );
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as { code?: string }).code] : []));
      expect(refusals).toEqual(Array(5).fill('PLATE_ALREADY_RESERVED'));
      expect(await db.reservation.count({ where: { plate, status: { in: ['PENDING', 'COMPLETED'] } } })).toBe(1);
    } finally {
      await Promise.all(clients.slice(1).map((c) => c.$disconnect()));
    }
  });

  it('quote prices from the tariff (every started hour) and refuses a lot without one', async () => {
    const plate = uniquePlate();
    expect(await d.reservations.quote({ plate, tariffPerHour: 120, ...period(0, HOUR) })).toEqual({ plate, amount: 120 });
    expect(await d.reservations.quote({ plate, tariffPerHour: 120, ...period(0, HOUR + 1) })).toEqual({ plate, amount: 240 });
    expect(await rejectionOf(d.reservations.quote({ plate, tariffPerHour: null, ...period() }))).toMatchObject({ code: 'LOT_NOT_RESERVABLE' });
    expect(await rejectionOf(d.reservations.quote({ plate, tariffPerHour: 100, ...period(0, 25 * HOUR) }))).toMatchObject({ code: 'RESERVATION_TOO_LONG' });
    expect(await rejectionOf(d.reservations.quote({ plate: 'XX', tariffPerHour: 100, ...period() }))).toMatchObject({ code: 'INVALID_PLATE' });
  });

  it('cancellation: free until 1 h before the start, half the price after; the first request fixes the fee', async () => {
    const plate = uniquePlate();
    const userId = uid('user-');
    await d.reservations.registerVehicle({ plate, ownerName: 'Deniz', ownerUserId: userId });
    const early = await d.reservations.createReservation({ key: uid(), userId, lotId: uid('lot-'), plate, amount: 401, ...period(2 * HOUR, HOUR) });
    expect(await rejectionOf(d.reservations.requestCancellation(early.id, uid('other-')))).toBeInstanceOf(NotFoundError);
    expect(await d.reservations.requestCancellation(early.id, userId)).toMatchObject({ cancellationFee: 0 });
    // Asked again later (inside the last hour): the first request's fee stands.
    expect(await d.reservations.requestCancellation(early.id, userId, new Date(Date.now() + 1.5 * HOUR))).toMatchObject({ cancellationFee: 0 });
    await d.reservations.cancelReservationByKey(early.key, 'cancelled');
    const late = await d.reservations.createReservation({ key: uid(), userId, lotId: uid('lot-'), plate, amount: 401, ...period(30 * 60_000, HOUR) });
    expect(await d.reservations.requestCancellation(late.id, userId)).toMatchObject({ cancellationFee: 201 });
  });

  it('moves status idempotently along the allowed transitions; getReservation hides other users', async () => {
    const plate = uniquePlate();
    const userId = uid('user-');
    await d.reservations.registerVehicle({ plate, ownerName: 'Zeynep' });
    const r = await d.reservations.createReservation({ key: uid(), userId, lotId: uid('lot-'), plate, amount: 500, ...period() });
    const done = await d.reservations.setReservationStatus(r.id, 'COMPLETED', { spaceId: 's1', holdKey: 'h1' });
    expect(done).toMatchObject({ status: 'COMPLETED', spaceId: 's1', holdKey: 'h1' });
    expect(await d.reservations.setReservationStatus(r.id, 'COMPLETED')).toMatchObject({ status: 'COMPLETED', spaceId: 's1' });
    expect(await rejectionOf(d.reservations.setReservationStatus(r.id, 'PENDING'))).toMatchObject({ code: 'INVALID_RESERVATION_TRANSITION' });
    expect((await d.reservations.setReservationStatus(r.id, 'USED')).status).toBe('USED');
    expect(await rejectionOf(d.reservations.setReservationStatus(r.id, 'CANCELLED'))).toMatchObject({ code: 'INVALID_RESERVATION_TRANSITION' });
    expect(await rejectionOf(d.reservations.setReservationStatus('missing', 'USED'))).toBeInstanceOf(NotFoundError);
    expect(await d.reservations.getReservation(r.id, userId)).toMatchObject({ id: r.id, status: 'USED' });
    expect(await rejectionOf(d.reservations.getReservation(r.id, uid('other-')))).toBeInstanceOf(NotFoundError);

    const c = await d.reservations.createReservation({ key: uid(), userId, lotId: uid('lot-'), plate, amount: 500, ...period() });
    await d.reservations.cancelReservationByKey(c.key, 'PAYMENT_DECLINED');
    await d.reservations.cancelReservationByKey(c.key, 'again');
    await d.reservations.cancelReservationByKey(uid('never-'), 'nothing');
    expect(await d.reservations.loadReservation(c.id)).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
  });

  it('findActiveReservation finds the COMPLETED reservation covering now, only that', async () => {
    const plate = uniquePlate();
    const lotId = uid('lot-');
    await d.reservations.registerVehicle({ plate, ownerName: 'Can' });
    const now = await d.reservations.createReservation({ key: uid(), userId: 'u', lotId, plate, amount: 500, ...period() });
    const later = await d.reservations.createReservation({ key: uid(), userId: 'u', lotId, plate, amount: 500, ...period(5 * HOUR) });
    expect(await d.reservations.findActiveReservation(lotId, plate)).toBeNull(); // both still PENDING
    await d.reservations.setReservationStatus(now.id, 'COMPLETED');
    await d.reservations.setReservationStatus(later.id, 'COMPLETED');
    expect((await d.reservations.findActiveReservation(lotId, plate))?.id).toBe(now.id);
    expect((await d.reservations.findActiveReservation(lotId, plate, new Date(Date.now() + 5.5 * HOUR)))?.id).toBe(later.id);
    expect(await d.reservations.findActiveReservation(uid('lot-'), plate)).toBeNull();
  });
});

describe('parking: held (reserved) spaces', () => {
  let db: Db;
  let d: Domains;

  beforeAll(async () => {
    db = await connectDb();
    d = createDomains(db, { faultsEnabled: true });
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  it('holds a free space once per key, counts it RESERVED, releases it idempotently', async () => {
    const lot = await d.parking.createLot({ name: 'Hold lot', capacity: 2 });
    const plate = uniquePlate();
    const key = uid('hold-');
    const [h1, h2] = await Promise.all([
      d.parking.holdSpace({ key, lotId: lot.id, plate }),
      d.parking.holdSpace({ key, lotId: lot.id, plate }),
    ]);
    expect(h2).toEqual(h1);
    expect(h1).toMatchObject({ holdKey: key, lotId: lot.id, plate });
    expect(await d.parking.getLot(lot.id)).toMatchObject({ free: 1, reserved: 1, occupied: 0 });
    expect(await db.space.findUniqueOrThrow({ where: { id: h1.spaceId } })).toMatchObject({ heldFor: plate, plate: null });
    await d.parking.releaseHold(key);
    await d.parking.releaseHold(key);
    await d.parking.releaseHold(uid('never-'));
    expect(await d.parking.getLot(lot.id)).toMatchObject({ free: 2, reserved: 0, occupied: 0 });
  });

  it('LOT_FULL when no space is free; held spaces are not given to walk-ins', async () => {
    const lot = await d.parking.createLot({ name: 'Tiny lot', capacity: 1 });
    await d.parking.holdSpace({ key: uid(), lotId: lot.id, plate: uniquePlate() });
    expect(await rejectionOf(d.parking.holdSpace({ key: uid(), lotId: lot.id, plate: uniquePlate() }))).toMatchObject({ code: 'LOT_FULL' });
    expect(await rejectionOf(d.parking.allocateSpace({ key: uid(), lotId: lot.id, plate: uniquePlate() }))).toMatchObject({ code: 'LOT_FULL' });
    expect(await rejectionOf(d.parking.holdSpace({ key: uid(), lotId: 'no-lot', plate: uniquePlate() }))).toMatchObject({
      code: 'LOT_NOT_FOUND',
    });
  });

  it('a car whose reservation has not started gets a free space like any car; its held space stays held', async () => {
    const lot = await d.parking.createLot({ name: 'Lot', capacity: 3 });
    const plate = uniquePlate();
    const hold = await d.parking.holdSpace({ key: uid(), lotId: lot.id, plate });
    const early = await d.parking.allocateSpace({ key: uid(), lotId: lot.id, plate });
    expect(early.spaceId).not.toBe(hold.spaceId);
    expect(await d.parking.getLot(lot.id)).toMatchObject({ free: 1, reserved: 1, occupied: 1 });
    // Unchanged for a car that is inside.
    const inside = uniquePlate();
    await d.parking.allocateSpace({ key: uid(), lotId: lot.id, plate: inside });
    expect(await rejectionOf(d.parking.allocateSpace({ key: uid(), lotId: lot.id, plate: inside }))).toMatchObject({ code: 'ALREADY_INSIDE' });
    expect(await rejectionOf(d.parking.holdSpace({ key: uid(), lotId: lot.id, plate: inside }))).toMatchObject({ code: 'ALREADY_INSIDE' });
  });

  it('occupyHeldSpace turns the held space into a stay once per key; undo gives the hold back; exit frees it', async () => {
    const lot = await d.parking.createLot({ name: 'Lot', capacity: 2 });
    const plate = uniquePlate();
    const holdKey = uid('hold-');
    const hold = await d.parking.holdSpace({ key: holdKey, lotId: lot.id, plate });
    expect(await rejectionOf(d.parking.occupyHeldSpace({ key: uid(), holdKey, lotId: lot.id, plate: uniquePlate() }))).toMatchObject({
      code: 'NO_HOLD',
    });

    const entryKey = uid('entry-');
    const [a1, a2] = await Promise.all([
      d.parking.occupyHeldSpace({ key: entryKey, holdKey, lotId: lot.id, plate }),
      d.parking.occupyHeldSpace({ key: entryKey, holdKey, lotId: lot.id, plate }),
    ]);
    expect(a2).toEqual(a1);
    expect(a1).toMatchObject({ spaceId: hold.spaceId, spaceNumber: hold.spaceNumber, lotId: lot.id, plate });
    expect(await d.parking.getLot(lot.id)).toMatchObject({ free: 1, reserved: 0, occupied: 1 });
    await d.parking.releaseHold(holdKey); // the hold is gone: releasing it must not free the occupied space
    expect(await d.parking.getLot(lot.id)).toMatchObject({ occupied: 1 });

    // The entry saga failed later: the reservation gets its space back.
    await d.parking.returnToHold({ key: entryKey, holdKey });
    await d.parking.returnToHold({ key: entryKey, holdKey });
    expect(await d.parking.getLot(lot.id)).toMatchObject({ free: 1, reserved: 1, occupied: 0 });
    expect((await db.stay.findUniqueOrThrow({ where: { key: entryKey } })).status).toBe('RELEASED');

    // A second arrival under a new key, then the car leaves.
    const entry2 = uid('entry-');
    await d.parking.occupyHeldSpace({ key: entry2, holdKey, lotId: lot.id, plate });
    const exit = await d.parking.releaseVehicle({ key: uid('exit-'), lotId: lot.id, plate });
    expect(exit.spaceId).toBe(hold.spaceId);
    expect(await d.parking.getLot(lot.id)).toMatchObject({ free: 2, reserved: 0, occupied: 0 });
  });

  it('finishes an occupation that stopped after converting the space', async () => {
    const lot = await d.parking.createLot({ name: 'Lot', capacity: 1 });
    const plate = uniquePlate();
    const holdKey = uid('hold-');
    const hold = await d.parking.holdSpace({ key: holdKey, lotId: lot.id, plate });
    const entryKey = uid('entry-');
    await db.space.update({ where: { id: hold.spaceId }, data: { status: 'OCCUPIED', holderKey: entryKey } }); // first attempt died here
    const a = await d.parking.occupyHeldSpace({ key: entryKey, holdKey, lotId: lot.id, plate });
    expect(a.spaceId).toBe(hold.spaceId);
    expect(await db.stay.count({ where: { key: entryKey, status: 'ACTIVE' } })).toBe(1);
  });
});
