import { tsToMs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEVICE_KEY,
  armFault,
  connectStack, useStack,
  createLot,
  disarmFault,
  lotCounts,
  stepOf,
  uniquePlate,
  waitForSaga,
  type TestStack,
} from './support/stack';

const stack = useStack();

function enter(lotId: string, plate: string, requestId?: string) {
  return stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId, plate, ...(requestId && { requestId }) } });
}

describe('vehicle entry saga', () => {
  it('allocates a space and creates the entry record, normalising the plate', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const spaced = `${plate.slice(0, 2)} ${plate.slice(2, 5).toLowerCase()} ${plate.slice(5)}`;
    const res = await enter(lot.id, spaced);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: 'COMPLETED', plate, lotId: lot.id, spaceNumber: 1 });
    expect(body.sagaId).toMatch(/^entry-/);
    const record = await stack.db.entryRecord.findUniqueOrThrow({ where: { id: body.entryRecordId } });
    expect(record).toMatchObject({ plate, spaceId: body.spaceId, status: 'ACTIVE' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 4, occupied: 1 });

    const state = (await stack.app.inject({ method: 'GET', url: `/sagas/${body.sagaId}` })).json();
    expect(state).toMatchObject({ type: 'VehicleEntry', status: 'COMPLETED' });
    expect(state.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
      'verifyPlate:COMPLETED',
      'closeStaysElsewhere:COMPLETED',
      'findReservation:COMPLETED',
      'allocateSpace:COMPLETED',
      'createEntryRecord:COMPLETED',
    ]);
  });

  it('starts one saga for a repeated requestId and answers the same', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `req-${plate}`;
    const [first, second] = await Promise.all([enter(lot.id, plate, requestId), enter(lot.id, plate, requestId)]);
    const third = await enter(lot.id, plate, requestId);
    expect(first.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect(third.json()).toEqual(first.json());
    expect(await stack.db.stay.count({ where: { plate } })).toBe(1);
    expect(await stack.db.entryRecord.count({ where: { plate } })).toBe(1);

    const reused = await enter(lot.id, uniquePlate(), requestId);
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({ reason: 'REQUEST_ID_REUSED' });
  });

  it.each(['34ABC', '99ABC123', '00AB12', '34ABCD123', '34AB12345', 'ABC-12'])('rejects the invalid plate %s as INVALID_PLATE', async (plate) => {
    const lot = await createLot(stack);
    const res = await enter(lot.id, plate);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'REJECTED', reason: 'INVALID_PLATE' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5, occupied: 0 });
  });

  it('rejects a blocked plate as PLATE_BLOCKED, and admits it once unblocked', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const block = await stack.app.inject({ method: 'POST', url: '/plates/blocklist', payload: { plate, reason: 'stolen' } });
    expect(block.statusCode).toBe(201);
    const res = await enter(lot.id, plate.toLowerCase());
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'REJECTED', reason: 'PLATE_BLOCKED' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5 });

    const unblock = await stack.app.inject({ method: 'DELETE', url: `/plates/blocklist/${plate}` });
    expect(unblock.statusCode).toBe(204);
    const again = await stack.app.inject({ method: 'DELETE', url: `/plates/blocklist/${plate}` });
    expect(again.statusCode).toBe(404);
    expect((await enter(lot.id, plate)).statusCode).toBe(201);
  });

  it('rejects a plate already inside as ALREADY_INSIDE', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    expect((await enter(lot.id, plate)).statusCode).toBe(201);
    const res = await enter(lot.id, plate);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'REJECTED', reason: 'ALREADY_INSIDE' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 4, occupied: 1 });
  });

  it('rejects an entry into a full lot as LOT_FULL and leaks nothing', async () => {
    const lot = await createLot(stack, { capacity: 1 });
    expect((await enter(lot.id, uniquePlate())).statusCode).toBe(201);
    const plate = uniquePlate();
    const res = await enter(lot.id, plate);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'REJECTED', reason: 'LOT_FULL' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 0, occupied: 1 });
    expect(await stack.db.stay.count({ where: { plate } })).toBe(0);
    expect(await stack.db.entryRecord.count({ where: { plate } })).toBe(0);
  });

  it('gives the last space to exactly one of many racing cars', async () => {
    const lot = await createLot(stack, { capacity: 3 });
    expect((await enter(lot.id, uniquePlate())).statusCode).toBe(201);
    expect((await enter(lot.id, uniquePlate())).statusCode).toBe(201);
    const racers = Array.from({ length: 12 }, () => uniquePlate());
    const answers = await Promise.all(racers.map((plate) => enter(lot.id, plate)));
    // A saga still running when the API stopped waiting (202) is followed to its end.
    const outcomes = await Promise.all(
      answers.map(async (a) => {
        const state = await waitForSaga(stack, a.json().sagaId, (s) => s.endedAt !== undefined);
        return { status: state.status, reason: state.reason };
      }),
    );
    expect(outcomes.filter((o) => o.status === 'COMPLETED')).toHaveLength(1);
    const rejected = outcomes.filter((o) => o.status === 'REJECTED');
    expect(rejected).toHaveLength(11);
    for (const o of rejected) expect(o.reason).toBe('LOT_FULL');
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 0, occupied: 3 });
    expect(await stack.db.stay.count({ where: { lotId: lot.id, status: 'ACTIVE' } })).toBe(3);
    expect(await stack.db.entryRecord.count({ where: { lotId: lot.id, status: 'ACTIVE' } })).toBe(3);
  });

  it('rejects an unknown lot as LOT_NOT_FOUND', async () => {
    const res = await enter('no-such-lot', uniquePlate());
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'REJECTED', reason: 'LOT_NOT_FOUND' });
  });
});

/** The saga's Temporal history events. */
async function historyOf(sagaId: string) {
  return (await stack.temporal.workflow.getHandle(sagaId).fetchHistory()).events ?? [];
}

/** The local activity of a marker event (the SDK's core records it as JSON under `data`). */
function localActivityOf(event: { markerRecordedEventAttributes?: { details?: Record<string, { payloads?: Array<{ data?: Uint8Array | null }> | null }> | null } | null }) {
  const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string; attempt?: number }) : undefined;
}

// Seed 001's retry counts and backoff (workflows/policies.ts): 0.5 s before the first retry,
// doubling. The retries cannot come sooner than their backoff, so the elapsed time has a floor.
describe('vehicle entry retries (seed 001)', () => {
  it('verifies the plate 1 + 2 times, 0.5 s then 1 s apart, then gives up and leaks nothing', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    await armFault(stack, 'plates.verifyPlate', plate);
    try {
      const res = await enter(lot.id, plate);
      const state = await waitForSaga(stack, res.json().sagaId, (s) => s.endedAt !== undefined);
      expect(state).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED' });
      expect(stepOf(state, 'verifyPlate')).toMatchObject({ status: 'FAILED', attempts: 3 });
      expect(state.steps.map((s) => s.name)).toEqual(['verifyPlate']);

      const events = await historyOf(state.sagaId);
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyPlate')!;
      const lastStart = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled.eventId?.toString())!;
      expect(lastStart.activityTaskStartedEventAttributes?.attempt).toBe(3);
      expect(tsToMs(lastStart.eventTime) - tsToMs(scheduled.eventTime)).toBeGreaterThanOrEqual(500 + 1000);
    } finally {
      await disarmFault(stack, 'plates.verifyPlate', plate);
    }
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5, occupied: 0 });
  });

  it('allocates a space 1 + 3 times, 0.5, 1 and 2 s apart, then rolls the entry back', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `allocation-down-${plate}`;
    await armFault(stack, 'parking.allocateSpace', requestId);
    try {
      const res = await enter(lot.id, plate, requestId);
      const state = await waitForSaga(stack, res.json().sagaId, (s) => s.endedAt !== undefined);
      expect(state).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED' });
      expect(stepOf(state, 'allocateSpace')).toMatchObject({ status: 'FAILED', attempts: 4, compensation: 'COMPENSATED' });

      // A local activity: its retries happen in the worker, and one marker records the last attempt.
      const events = await historyOf(state.sagaId);
      const plateChecked = events.find((e) => e.activityTaskCompletedEventAttributes)!;
      const allocation = events.find((e) => localActivityOf(e)?.activity_type === 'allocateSpace')!;
      expect(localActivityOf(allocation)?.attempt).toBe(4);
      expect(tsToMs(allocation.eventTime) - tsToMs(plateChecked.eventTime)).toBeGreaterThanOrEqual(500 + 1000 + 2000);
    } finally {
      await disarmFault(stack, 'parking.allocateSpace', requestId);
    }
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5, occupied: 0 });
    expect(await stack.db.entryRecord.count({ where: { plate } })).toBe(0);
  });
});

describe('vehicle entry at a lot with gate confirmation', () => {
  // The saga waits at the gate, so the API's answer is always 202 after its short wait.
  let gate: TestStack;
  beforeAll(async () => {
    gate = await connectStack({ waitMs: 300 });
  });
  afterAll(async () => gate?.close());

  it('waits at the gate and completes on gatePassed', async () => {
    const lot = await createLot(stack, { requireGateConfirmation: true, gateTimeoutSeconds: 600 });
    const res = await gate.app.inject({
      method: 'POST',
      url: '/vehicle-entries',
      payload: { lotId: lot.id, plate: uniquePlate() },
    });
    expect(res.statusCode).toBe(202);
    const { sagaId } = res.json();
    await waitForSaga(stack, sagaId, (s) => s.awaiting.includes('gatePassed'));
    const signal = await stack.app.inject({
      method: 'POST',
      url: `/sagas/${sagaId}/signals/gatePassed`,
      headers: { 'x-device-key': DEVICE_KEY },
      payload: { by: 'gate-1' },
    });
    expect(signal.statusCode).toBe(202);
    const state = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPLETED');
    // The audit trail names the device as configured, not the label it sends.
    expect(state.actions).toMatchObject([{ action: 'gatePassed', by: 'device:test-gate', accepted: true }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 1 });
  });

  it('compensates when the car does not pass the gate in time', async () => {
    const lot = await createLot(stack, { requireGateConfirmation: true, gateTimeoutSeconds: 1 });
    const plate = uniquePlate();
    const res = await gate.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate } });
    const { sagaId } = res.json();
    const state = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');
    expect(state.reason).toBe('GATE_TIMEOUT');
    expect(state.steps.map((s) => `${s.name}:${s.compensation}`)).toEqual([
      'verifyPlate:NONE',
      'closeStaysElsewhere:NONE',
      'findReservation:NONE',
      'allocateSpace:COMPENSATED',
      'createEntryRecord:COMPENSATED',
    ]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5, occupied: 0 });
    expect(await stack.db.entryRecord.findFirst({ where: { plate } })).toMatchObject({ status: 'CANCELLED' });
    expect(await stack.db.stay.findFirst({ where: { plate } })).toMatchObject({ status: 'RELEASED' });
  });

  it('compensates on a compensate signal while waiting at the gate, and records who asked', async () => {
    const lot = await createLot(stack, { requireGateConfirmation: true, gateTimeoutSeconds: 600 });
    const res = await gate.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate: uniquePlate() } });
    const { sagaId } = res.json();
    await waitForSaga(stack, sagaId, (s) => s.awaiting.includes('gatePassed'));
    const signal = await stack.app.inject({
      method: 'POST',
      url: `/sagas/${sagaId}/signals/compensate`,
      payload: { reason: 'driver turned back', by: 'operator-7' },
    });
    expect(signal.statusCode).toBe(202);
    const state = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');
    expect(state).toMatchObject({ reason: 'OPERATOR', error: 'driver turned back' });
    expect(state.actions).toMatchObject([{ action: 'compensate', reason: 'driver turned back', by: 'admin@test.example', accepted: true }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5 });

    const late = await stack.app.inject({ method: 'POST', url: `/sagas/${sagaId}/signals/gatePassed`, payload: { reason: 'car seen at the gate' } });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ reason: 'SAGA_ENDED' });
  });
});
