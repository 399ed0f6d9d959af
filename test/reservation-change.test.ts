import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { LotIdKey } from '../workflows/contracts';
import { sagaHistoryOf } from './support/history';
import { DEVICE_KEY, registerDriver, armFault, createLot, disarmFault, lotCounts, uniquePlate, useStack, waitForSaga } from './support/stack';

/** How long the API waits for a saga's answer. */
const SAGA_WAIT_MS = 30_000;

const stack = useStack({ waitMs: SAGA_WAIT_MS });

/** A driver with a registered vehicle. */
const driver = () => registerDriver(stack);

/** A period from `start` minutes from now, `length` minutes long. */
function period(start: number, length: number) {
  const at = Date.now() + start * 60_000;
  return { startsAt: new Date(at).toISOString(), endsAt: new Date(at + length * 60_000).toISOString() };
}

type Driver = Awaited<ReturnType<typeof driver>>;

/** A booked reservation (COMPLETED: held and paid) of the driver in the lot. */
async function book(who: Driver, lotId: string, when = period(-1, 50)) {
  const res = await stack.app.inject({ method: 'POST', url: '/reservations', headers: who.headers, payload: { lotId, plate: who.plate, ...when } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { reservationId: string; sagaId: string; spaceId: string; amount: number };
}

function change(who: Driver, id: string, body: Record<string, unknown>) {
  return stack.app.inject({ method: 'PATCH', url: `/reservations/${id}`, headers: who.headers, payload: body });
}

async function reservationOf(who: Driver, id: string) {
  return (await stack.app.inject({ method: 'GET', url: `/reservations/${id}`, headers: who.headers })).json();
}

const paymentsOf = (reservationId: string) =>
  stack.db.payment.findMany({ where: { reference: reservationId }, orderBy: { createdAt: 'asc' }, select: { key: true, status: true, amount: true, refundedAmount: true } });

/** Spaces held for the plate, in any lot: a reservation holds exactly one. */
const holdsOf = (plate: string) => stack.db.space.count({ where: { heldFor: plate, status: 'RESERVED' } });

/** The reservation as it is, less the time it was last touched. */
async function termsOf(who: Driver, id: string) {
  const { updatedAt: _updatedAt, ...terms } = await reservationOf(who, id);
  return terms;
}

/** Arms a switch on which calls wait until it is disarmed. */
async function holdAt(point: string, match: string) {
  const res = await stack.app.inject({ method: 'POST', url: '/admin/faults', payload: { point, match, hold: true } });
  expect(res.statusCode).toBe(201);
}

/** Waits until a call is caught by the hold switch armed at `point` for `match`. */
async function untilHeld(point: string, match: string) {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    const armed = await stack.db.faultSwitch.findFirst({ where: { point, match } });
    if ((armed?.remaining ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no call reached ${point} for ${match}`);
}

/** The changeReservation updates the saga accepted, from its history (a refused one leaves no event). */
async function changesAccepted(sagaId: string) {
  const events = (await stack.temporal.workflow.getHandle(sagaId).fetchHistory()).events ?? [];
  return events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'changeReservation').length;
}

/** Waits until the saga has accepted a change (it runs now). */
async function untilUpdateAccepted(sagaId: string) {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    if ((await changesAccepted(sagaId)) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`saga ${sagaId} accepted no update`);
}

function enter(lotId: string, plate: string) {
  return stack.app.inject({ method: 'POST', url: '/vehicle-entries', headers: { 'x-device-key': DEVICE_KEY }, payload: { lotId, plate } });
}

describe('changing a booked reservation', () => {
  it('a change that fits: the new space is held, the difference charged or refunded, the old hold released', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const lotB = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const booked = await book(who, lotA.id);
    expect(booked.amount).toBe(300);

    // Longer in the same lot: two started hours, 300 more.
    const longer = period(-1, 110);
    const res = await change(who, booked.reservationId, longer);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: booked.reservationId, lotId: lotA.id, amount: 600, status: 'COMPLETED', endsAt: new Date(longer.endsAt).toISOString() });
    expect(await termsOf(who, booked.reservationId)).toMatchObject({ amount: 600, endsAt: new Date(longer.endsAt).toISOString(), spaceId: res.json().spaceId });
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 1, reserved: 1 });
    expect(await paymentsOf(booked.reservationId)).toMatchObject([
      { key: `${booked.sagaId}/authorizePayment`, status: 'CAPTURED', amount: 300 },
      { key: `${booked.sagaId}/change-1.chargeDifference`, status: 'CAPTURED', amount: 300 },
    ]);

    // To another lot, one hour again: 300 back; the hold moves.
    const moved = await change(who, booked.reservationId, { lotId: lotB.id, ...period(-1, 50) });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ lotId: lotB.id, amount: 300, status: 'COMPLETED' });
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 2, reserved: 0 });
    expect(await lotCounts(stack, lotB.id)).toMatchObject({ free: 1, reserved: 1 });
    expect(await holdsOf(who.plate)).toBe(1);
    expect(await paymentsOf(booked.reservationId)).toMatchObject([
      { status: 'CAPTURED', amount: 300 },
      { status: 'REFUNDED', amount: 300, refundedAmount: 300 },
    ]);
    const saga = await waitForSaga(stack, booked.sagaId, (s) => s.actions.length === 2);
    expect(saga).toMatchObject({ status: 'COMPLETED', keys: { LotId: lotB.id }, result: { lotId: lotB.id, amount: 300, spaceId: moved.json().spaceId } });
    expect(saga.actions).toMatchObject([
      { action: 'changeReservation', accepted: true },
      { action: 'changeReservation', accepted: true },
    ]);
    // The LotId search attribute follows the lot: upserted by the move only (the API set the
    // first lot at the start; the longer period kept it), and it names the new lot.
    expect((await sagaHistoryOf(stack, booked.sagaId)).upserts.filter((u) => 'LotId' in u)).toEqual([{ LotId: lotB.id }]);
    const { typedSearchAttributes } = await stack.temporal.workflow.getHandle(booked.sagaId).describe();
    expect(typedSearchAttributes.get(LotIdKey)).toBe(lotB.id);

    // The car comes to the new lot and takes the space held there.
    const entry = await enter(lotB.id, who.plate);
    expect(entry.statusCode, entry.body).toBe(201);
    expect(entry.json().spaceId).toBe(moved.json().spaceId);
    const used = await waitForSaga(stack, booked.sagaId, (s) => s.endedAt !== undefined);
    expect(used).toMatchObject({ status: 'COMPLETED', result: { status: 'USED', lotId: lotB.id, amount: 300 } });
    // Used: no more changes.
    const late = await change(who, booked.reservationId, period(-1, 110));
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ reason: 'NOT_CHANGEABLE', status: 'USED' });
  });

  it('a change that does not fit (the lot is full) changes nothing: 409 LOT_FULL', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const full = await createLot(stack, { capacity: 1, tariffPerHour: 300 });
    expect((await enter(full.id, uniquePlate())).statusCode).toBe(201);
    const booked = await book(who, lotA.id);
    const before = await termsOf(who, booked.reservationId);

    const res = await change(who, booked.reservationId, { lotId: full.id, ...period(-1, 110) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reservationId: booked.reservationId, status: 'COMPLETED', reason: 'LOT_FULL' });
    expect(await termsOf(who, booked.reservationId)).toEqual(before);
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 1, reserved: 1 });
    expect(await lotCounts(stack, full.id)).toMatchObject({ free: 0, occupied: 1, reserved: 0 });
    expect(await paymentsOf(booked.reservationId)).toMatchObject([{ status: 'CAPTURED', amount: 300 }]);
    const saga = await waitForSaga(stack, booked.sagaId, (s) => s.status === 'COMPLETED');
    expect(saga).toMatchObject({ result: { lotId: lotA.id, spaceId: booked.spaceId, amount: 300 } });
    // The audit trail shows the change, refused.
    expect(saga.actions).toMatchObject([{ action: 'changeReservation', accepted: false, reason: expect.stringMatching(/: LOT_FULL$/) }]);
  });

  it('a change whose extra payment is declined changes nothing and holds nothing twice', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 400 });
    const lotB = await createLot(stack, { capacity: 2, tariffPerHour: 500 });
    const booked = await book(who, lotA.id);
    const before = await termsOf(who, booked.reservationId);

    // 100 more: under the gateway's 300 for reservations, declined.
    const res = await change(who, booked.reservationId, { lotId: lotB.id, ...period(-1, 50) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'PAYMENT_DECLINED', status: 'COMPLETED' });
    expect(await termsOf(who, booked.reservationId)).toEqual(before);
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 1, reserved: 1 });
    expect(await lotCounts(stack, lotB.id)).toMatchObject({ free: 2, reserved: 0 });
    expect(await holdsOf(who.plate)).toBe(1);
    expect(await paymentsOf(booked.reservationId)).toMatchObject([
      { status: 'CAPTURED', amount: 400 },
      { key: `${booked.sagaId}/change-1.chargeDifference`, status: 'DECLINED', amount: 100 },
    ]);
  });

  it('a failure part-way (after the charge) undoes the new hold and the charge', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const booked = await book(who, lotA.id);
    const before = await termsOf(who, booked.reservationId);
    // Every attempt of the record's move fails: the change runs out of retries after the charge.
    await armFault(stack, 'reservations.moveReservation', booked.sagaId);
    try {
      const res = await change(who, booked.reservationId, period(-1, 110));
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ reason: 'CHANGE_FAILED', status: 'COMPLETED' });
    } finally {
      await disarmFault(stack, 'reservations.moveReservation', booked.sagaId);
    }
    expect(await termsOf(who, booked.reservationId)).toEqual(before);
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 1, reserved: 1 });
    expect(await paymentsOf(booked.reservationId)).toMatchObject([
      { status: 'CAPTURED', amount: 300 },
      { key: `${booked.sagaId}/change-1.chargeDifference`, status: 'REFUNDED', amount: 300, refundedAmount: 300 },
    ]);
    // And the reservation can still be changed.
    const again = await change(who, booked.reservationId, period(-1, 110));
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ amount: 600 });
  });

  it('an undo of a change that runs out of retries waits for an operator (NEEDS_ATTENTION); retried, the reservation is as it was', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 3, tariffPerHour: 300 });
    const booked = await book(who, lotA.id);
    const before = await termsOf(who, booked.reservationId);
    // The record's move fails for good, and so does the release of the change's new hold (its undo).
    const newHold = `${booked.sagaId}/change-1.holdSpace`;
    await armFault(stack, 'reservations.moveReservation', booked.sagaId);
    await armFault(stack, 'parking.releaseHold', newHold);
    let changing;
    try {
      changing = change(who, booked.reservationId, period(-1, 110));
      const stuck = await waitForSaga(stack, booked.sagaId, (s) => s.status === 'NEEDS_ATTENTION');
      expect(stuck.attention).toMatchObject([{ kind: 'COMPENSATION', step: 'change-1.holdSpace' }]);
      expect(stuck.awaiting).toEqual(expect.arrayContaining(['retryCompensation', 'skipCompensation', 'vehicleArrived']));
      expect(stuck.steps).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'change-1.holdSpace', compensation: 'FAILED', compensationAttempts: 5 })]));
      // The new hold is still there: the operator's to resolve.
      expect(await holdsOf(who.plate)).toBe(2);
    } finally {
      await disarmFault(stack, 'parking.releaseHold', newHold);
      await disarmFault(stack, 'reservations.moveReservation', booked.sagaId);
    }
    const retry = await stack.app.inject({ method: 'POST', url: `/sagas/${booked.sagaId}/signals/retryCompensation`, payload: { reason: 'the database is back' } });
    expect(retry.statusCode).toBe(202);
    // The change is refused once its undo is done, and the saga waits for its car again.
    const res = await changing;
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'CHANGE_FAILED', status: 'COMPLETED' });
    const saga = await waitForSaga(stack, booked.sagaId, (s) => s.status === 'COMPLETED');
    expect(saga.attention).toEqual([]);
    expect(saga.awaiting).toContain('vehicleArrived');
    expect(saga.awaiting).not.toContain('retryCompensation');
    expect(saga.steps).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'change-1.holdSpace', compensation: 'COMPENSATED' })]));
    expect(saga.actions).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'retryCompensation', accepted: true })]));
    expect(await termsOf(who, booked.reservationId)).toEqual(before);
    expect(await holdsOf(who.plate)).toBe(1);
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 2, reserved: 1 });
    // The reservation still works: the car takes its space.
    const entry = await enter(lotA.id, who.plate);
    expect(entry.statusCode, entry.body).toBe(201);
    expect(entry.json().spaceId).toBe(booked.spaceId);
  });

  it('concurrent changes of one reservation: one wins, the other is refused 409, one space held', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 3, tariffPerHour: 300 });
    const booked = await book(who, lotA.id);
    // The first change waits at its new hold until released: the second comes while it runs.
    const match = `${booked.sagaId}/change-1.holdSpace`;
    await holdAt('parking.holdSpace', match);
    let first;
    try {
      first = change(who, booked.reservationId, period(-1, 110));
      await untilUpdateAccepted(booked.sagaId);
      const second = await change(who, booked.reservationId, period(-1, 170));
      expect(second.statusCode).toBe(409);
      expect(second.json()).toMatchObject({ reason: 'CHANGE_IN_PROGRESS', status: 'COMPLETED' });
    } finally {
      await disarmFault(stack, 'parking.holdSpace', match);
    }
    const won = await first;
    expect(won.statusCode, won.body).toBe(200);
    expect(won.json()).toMatchObject({ amount: 600 });
    expect(await termsOf(who, booked.reservationId)).toMatchObject({ amount: 600, spaceId: won.json().spaceId });
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 2, reserved: 1 });
    expect(await holdsOf(who.plate)).toBe(1);
    // The refused one was refused by the saga's validator: it left no event in the saga's history.
    expect(await changesAccepted(booked.sagaId)).toBe(1);

    // Sent at once, without a switch: each is applied or refused, never both held.
    const burst = await Promise.all([change(who, booked.reservationId, period(-1, 50)), change(who, booked.reservationId, period(-1, 170))]);
    for (const res of burst) expect([200, 409], res.body).toContain(res.statusCode);
    for (const res of burst.filter((r) => r.statusCode === 409)) expect(res.json().reason).toBe('CHANGE_IN_PROGRESS');
    expect(await holdsOf(who.plate)).toBe(1);
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 2, reserved: 1 });
  });

  it('a change racing the car: the entry that took the old space first wins, the change is refused 409', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const lotB = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const booked = await book(who, lotA.id);
    const match = `${booked.sagaId}/change-1.holdSpace`;
    await holdAt('parking.holdSpace', match);
    let changing;
    try {
      changing = change(who, booked.reservationId, { lotId: lotB.id, ...period(-1, 50) });
      await untilUpdateAccepted(booked.sagaId);
      // The car arrives while the change runs: it takes its held space.
      const entry = await enter(lotA.id, who.plate);
      expect(entry.statusCode, entry.body).toBe(201);
      expect(entry.json().spaceId).toBe(booked.spaceId);
    } finally {
      await disarmFault(stack, 'parking.holdSpace', match);
    }
    const res = await changing;
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'RESERVATION_IN_USE' });
    const saga = await waitForSaga(stack, booked.sagaId, (s) => s.endedAt !== undefined);
    expect(saga).toMatchObject({ status: 'COMPLETED', result: { status: 'USED', lotId: lotA.id, spaceId: booked.spaceId } });
    expect(await reservationOf(who, booked.reservationId)).toMatchObject({ status: 'USED', lotId: lotA.id, amount: 300 });
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 1, occupied: 1, reserved: 0 });
    expect(await lotCounts(stack, lotB.id)).toMatchObject({ free: 2, reserved: 0 });
    expect(await paymentsOf(booked.reservationId)).toMatchObject([{ status: 'CAPTURED', amount: 300 }]);
  });

  it('a car that found its reservation just before a change takes the new hold: the change is atomic for the arrival', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 3, tariffPerHour: 300 });
    const booked = await book(who, lotA.id);
    // The car's saga has looked the reservation up (its hold then: the booking's) and waits
    // before taking the hold; meanwhile a change moves the reservation and gives that hold up.
    const match = `${booked.sagaId}/holdSpace`;
    await holdAt('parking.occupyHeldSpace', match);
    let entering;
    let changed;
    try {
      entering = enter(lotA.id, who.plate);
      await untilHeld('parking.occupyHeldSpace', match);
      changed = await change(who, booked.reservationId, period(-1, 110));
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json().spaceId).not.toBe(booked.spaceId);
    } finally {
      await disarmFault(stack, 'parking.occupyHeldSpace', match);
    }
    // The car is let in at once, on the space held for the reservation now.
    const entry = await entering;
    expect(entry.statusCode, entry.body).toBe(201);
    expect(entry.json().spaceId).toBe(changed.json().spaceId);
    const used = await waitForSaga(stack, booked.sagaId, (s) => s.endedAt !== undefined);
    expect(used).toMatchObject({ status: 'COMPLETED', result: { status: 'USED', amount: 600, spaceId: changed.json().spaceId } });
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 2, occupied: 1, reserved: 0 });
  });

  it('the car that took the new hold turns back at the gate: the space is held again under the hold the reservation names', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 3, tariffPerHour: 300, requireGateConfirmation: true, gateTimeoutSeconds: 600 });
    const booked = await book(who, lotA.id);
    const match = `${booked.sagaId}/holdSpace`;
    await holdAt('parking.occupyHeldSpace', match);
    const requestId = `turns-back-${randomUUID()}`;
    let entering;
    let changed;
    try {
      entering = stack.app.inject({ method: 'POST', url: '/vehicle-entries', headers: { 'x-device-key': DEVICE_KEY }, payload: { lotId: lotA.id, plate: who.plate, requestId } });
      await untilHeld('parking.occupyHeldSpace', match);
      changed = await change(who, booked.reservationId, period(-1, 110));
      expect(changed.statusCode, changed.body).toBe(200);
    } finally {
      await disarmFault(stack, 'parking.occupyHeldSpace', match);
    }
    // At the gate on the new hold's space; an operator rolls the entry back.
    const atGate = await entering;
    expect(atGate.statusCode, atGate.body).toBe(202);
    await waitForSaga(stack, `entry-${requestId}`, (s) => s.awaiting.includes('gatePassed'));
    const taken = await stack.db.space.findUnique({ where: { holderKey: `entry-${requestId}/occupyReservedSpace` } });
    expect(taken).toMatchObject({ id: changed.json().spaceId, status: 'OCCUPIED', plate: who.plate });
    const back = await stack.app.inject({ method: 'POST', url: `/sagas/entry-${requestId}/signals/compensate`, payload: { reason: 'turned back' } });
    expect(back.statusCode).toBe(202);
    await waitForSaga(stack, `entry-${requestId}`, (s) => s.status === 'COMPENSATED');
    // The space is the reservation's again, under its hold in force: the next arrival takes it.
    expect(await holdsOf(who.plate)).toBe(1);
    expect(await stack.db.space.findFirst({ where: { heldFor: who.plate }, select: { id: true, holderKey: true } })).toEqual({
      id: changed.json().spaceId,
      holderKey: `${booked.sagaId}/change-1.holdSpace`,
    });
    const againId = `again-${randomUUID()}`;
    const again = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', headers: { 'x-device-key': DEVICE_KEY }, payload: { lotId: lotA.id, plate: who.plate, requestId: againId } });
    expect(again.statusCode, again.body).toBe(202);
    await waitForSaga(stack, `entry-${againId}`, (s) => s.awaiting.includes('gatePassed'));
    expect(await stack.db.space.findUnique({ where: { holderKey: `entry-${againId}/occupyReservedSpace` } })).toMatchObject({ id: changed.json().spaceId, status: 'OCCUPIED' });
  });

  it('a change racing the car, unforced: either the change applies or it is refused, never both', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const lotB = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const booked = await book(who, lotA.id);
    const [changed, entry] = await Promise.all([change(who, booked.reservationId, { lotId: lotB.id, ...period(-1, 50) }), enter(lotA.id, who.plate)]);
    expect([200, 409], changed.body).toContain(changed.statusCode);
    // Whether the entry took the reservation's held space (rather than a space of its own, or none).
    const entrySaga = entry.json().sagaId ? await waitForSaga(stack, entry.json().sagaId, (s) => s.endedAt !== undefined || s.status === 'COMPLETED') : undefined;
    const tookHold = entrySaga?.steps.some((s) => s.name === 'occupyReservedSpace' && s.status === 'COMPLETED') === true && entrySaga.status === 'COMPLETED';
    expect(changed.statusCode === 200 && tookHold, 'the change applied and the car used the reservation').toBe(false);
    if (changed.statusCode === 200) {
      // The change came first: the reservation waits in lot B; the car in lot A (if let in) is on a space of its own.
      expect(await reservationOf(who, booked.reservationId)).toMatchObject({ status: 'COMPLETED', lotId: lotB.id });
      expect(await lotCounts(stack, lotB.id)).toMatchObject({ reserved: 1 });
      expect(await lotCounts(stack, lotA.id)).toMatchObject({ reserved: 0, occupied: entry.statusCode === 201 ? 1 : 0 });
    } else {
      expect(changed.json().reason).toMatch(/^(RESERVATION_IN_USE|NOT_CHANGEABLE)$/);
      expect(entry.statusCode).toBe(201);
      await waitForSaga(stack, booked.sagaId, (s) => s.endedAt !== undefined);
      expect(await reservationOf(who, booked.reservationId)).toMatchObject({ status: 'USED', lotId: lotA.id });
      expect(await lotCounts(stack, lotA.id)).toMatchObject({ occupied: 1, reserved: 0 });
      expect(await lotCounts(stack, lotB.id)).toMatchObject({ reserved: 0 });
    }
    expect(await holdsOf(who.plate)).toBe(changed.statusCode === 200 ? 1 : 0);
  });

  it('cancelling a changed reservation refunds every payment it took', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    // Two hours ahead: free to cancel.
    const booked = await book(who, lotA.id, period(120, 50));
    expect((await change(who, booked.reservationId, period(120, 110))).statusCode).toBe(200);
    const cancel = await stack.app.inject({ method: 'POST', url: `/reservations/${booked.reservationId}/cancel`, headers: who.headers });
    expect(cancel.statusCode).toBe(202);
    await waitForSaga(stack, booked.sagaId, (s) => s.status === 'COMPENSATED');
    expect(await reservationOf(who, booked.reservationId)).toMatchObject({ status: 'CANCELLED', refundedAmount: 600 });
    expect(await paymentsOf(booked.reservationId)).toMatchObject([
      { status: 'REFUNDED', refundedAmount: 300 },
      { status: 'REFUNDED', refundedAmount: 300 },
    ]);
    expect(await lotCounts(stack, lotA.id)).toMatchObject({ free: 2, reserved: 0 });
    const late = await change(who, booked.reservationId, period(120, 50));
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ reason: 'NOT_CHANGEABLE', status: 'CANCELLED' });
  });

  it('a cheaper change, then a late cancellation: the gateway refunds in all what the policy says', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    // Two started hours from 30 minutes on: 600; cancelling now keeps half the price (late).
    const booked = await book(who, lotA.id, period(30, 110));
    expect(booked.amount).toBe(600);
    // One hour: 300 back, from the one payment there is (a partial refund of it).
    const cheaper = await change(who, booked.reservationId, period(30, 50));
    expect(cheaper.statusCode, cheaper.body).toBe(200);
    expect(cheaper.json()).toMatchObject({ amount: 300 });
    const cancel = await stack.app.inject({ method: 'POST', url: `/reservations/${booked.reservationId}/cancel`, headers: who.headers });
    expect(cancel.statusCode).toBe(202);
    await waitForSaga(stack, booked.sagaId, (s) => s.status === 'COMPENSATED');
    // The policy: half of the price (300) is kept, 150; of the 600 paid, 450 comes back.
    expect(await reservationOf(who, booked.reservationId)).toMatchObject({ status: 'CANCELLED', cancellationFee: 150, refundedAmount: 450 });
    expect(await paymentsOf(booked.reservationId)).toMatchObject([{ status: 'REFUNDED', amount: 600, refundedAmount: 450 }]);
    // The gateway's own books: one capture of 600, two refunds (the change's, the cancellation's) of 450 in all.
    const ledger = (await (await fetch(`${inject('stack').vendors.PAYMENT_URLS.split(',')[0]}/admin/ledger`)).json()) as {
      effects: Array<{ operation: string; reference: string; amount: number; idempotencyKey: string }>;
    };
    const effects = ledger.effects.filter((e) => e.reference === booked.reservationId);
    const sum = (operation: string) => effects.filter((e) => e.operation === operation).reduce((total, e) => total + e.amount, 0);
    expect(sum('capture')).toBe(600);
    expect(effects.filter((e) => e.operation === 'refund').map((e) => e.amount)).toEqual([300, 150]);
    expect(sum('refund')).toBe(450);
  });

  it('bad input: 400 naming the field, 404 for another user, and nothing changes', async () => {
    const who = await driver();
    const lotA = await createLot(stack, { capacity: 2, tariffPerHour: 300 });
    const booked = await book(who, lotA.id);
    const before = await termsOf(who, booked.reservationId);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ endsAt: period(0, 60).endsAt }, 'startsAt'],
      [{ startsAt: 'tomorrow', endsAt: period(0, 60).endsAt }, 'startsAt'],
      [{ ...period(0, 60), startsAt: period(0, 60).endsAt, endsAt: period(0, 60).startsAt }, 'endsAt'],
      [period(0, 25 * 60), 'endsAt'],
      [period(-120, 60), 'endsAt'],
      [period(31 * 24 * 60, 60), 'startsAt'],
      [{ ...period(0, 60), lotId: '' }, 'lotId'],
    ];
    for (const [body, field] of cases) {
      const res = await change(who, booked.reservationId, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().fields.map((f: { field: string }) => f.field), JSON.stringify(body)).toContain(field);
    }
    const unknownLot = await change(who, booked.reservationId, { lotId: randomUUID(), ...period(0, 60) });
    expect(unknownLot.statusCode).toBe(409);
    expect(unknownLot.json()).toMatchObject({ reason: 'LOT_NOT_FOUND' });
    const other = await driver();
    expect((await change(other, booked.reservationId, period(-1, 110))).statusCode).toBe(404);
    expect((await change(who, randomUUID(), period(-1, 110))).statusCode).toBe(404);
    expect(await termsOf(who, booked.reservationId)).toEqual(before);
    // An operator may change anyone's reservation.
    const operator = { id: 'op', plate: '', headers: { authorization: `Bearer ${stack.token('operator')}` } };
    const byOperator = await change(operator, booked.reservationId, period(-1, 110));
    expect(byOperator.statusCode, byOperator.body).toBe(200);
    expect(byOperator.json()).toMatchObject({ amount: 600, userId: who.id });
  });
});
