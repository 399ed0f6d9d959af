import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localActivityOf } from './support/history';
import {
  armFault,
  connectStack,
  createLot,
  disarmFault,
  lotCounts,
  stepOf,
  uniquePlate,
  waitForSaga,
  type TestStack,
} from './support/stack';

let stack: TestStack;
let quick: TestStack;
beforeAll(async () => {
  stack = await connectStack();
  quick = await connectStack({ waitMs: 300 });
});
afterAll(async () => {
  await stack?.close();
  await quick?.close();
});

/**
 * The activity types the saga ran, in order, read from its Temporal history: ordinary
 * activities by their scheduled events, local ones by the marker recorded with their result.
 */
async function scheduledActivities(sagaId: string): Promise<string[]> {
  const history = await stack.temporal.workflow.getHandle(sagaId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? localActivityOf(e.markerRecordedEventAttributes)?.activity_type)
    .filter((name): name is string => Boolean(name));
}

describe('saga compensation', () => {
  it('a step that fails after its retries rolls back the completed steps in reverse order', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `entry-record-down-${plate}`;
    await armFault(stack, 'plates.createEntryRecord', requestId);
    const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } });
    await disarmFault(stack, 'plates.createEntryRecord', requestId);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED' });

    const state = await waitForSaga(stack, res.json().sagaId, () => true);
    expect(state.steps).toMatchObject([
      { name: 'verifyPlate', status: 'COMPLETED', compensation: 'NONE' },
      { name: 'closeStaysElsewhere', status: 'COMPLETED', compensation: 'NONE' },
      { name: 'findReservation', status: 'COMPLETED', compensation: 'NONE' },
      { name: 'allocateSpace', status: 'COMPLETED', compensation: 'COMPENSATED' },
      { name: 'createEntryRecord', status: 'FAILED', attempts: 4, compensation: 'COMPENSATED' },
    ]);
    expect(stepOf(state, 'createEntryRecord').lastError).toContain('injected fault');
    const activities = await scheduledActivities(state.sagaId);
    expect(activities).toEqual([
      'verifyPlate',
      'closeStaysElsewhere',
      'findReservationForEntry',
      'allocateSpace',
      'createEntryRecord',
      'cancelEntryRecord',
      'releaseAllocation',
    ]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5, occupied: 0 });
  });

  it('recovers without rollback when a step fails fewer times than its retries', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `flaky-allocation-${plate}`;
    await armFault(stack, 'parking.allocateSpace', requestId, 2);
    const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } });
    expect(res.statusCode).toBe(201);
    const state = await waitForSaga(stack, res.json().sagaId, () => true);
    expect(stepOf(state, 'allocateSpace')).toMatchObject({ status: 'COMPLETED', attempts: 3 });
    expect(await stack.db.stay.count({ where: { plate } })).toBe(1);
  });

  it('a compensation that keeps failing parks the saga in NEEDS_ATTENTION; retryCompensation completes it', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `stuck-release-${plate}`;
    await armFault(stack, 'plates.createEntryRecord', requestId);
    await armFault(stack, 'parking.releaseAllocation', requestId);
    const { sagaId } = (
      await quick.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } })
    ).json();
    const stuck = await waitForSaga(stack, sagaId, (s) => s.status === 'NEEDS_ATTENTION');
    expect(stuck.attention).toMatchObject([{ kind: 'COMPENSATION', step: 'allocateSpace' }]);
    expect(stuck.awaiting).toEqual(['retryCompensation', 'skipCompensation']);
    expect(stepOf(stuck, 'allocateSpace')).toMatchObject({ compensation: 'FAILED', compensationAttempts: 5 });
    expect(stepOf(stuck, 'createEntryRecord')).toMatchObject({ compensation: 'COMPENSATED' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 1 });

    await disarmFault(stack, 'parking.releaseAllocation', requestId);
    await disarmFault(stack, 'plates.createEntryRecord', requestId);
    const retry = await stack.app.inject({
      method: 'POST',
      url: `/sagas/${sagaId}/signals/retryCompensation`,
      payload: { reason: 'database fixed', by: 'ops' },
    });
    expect(retry.statusCode).toBe(202);
    const done = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');
    expect(stepOf(done, 'allocateSpace')).toMatchObject({ compensation: 'COMPENSATED', compensationAttempts: 6 });
    expect(done.actions).toMatchObject([{ action: 'retryCompensation', reason: 'database fixed', by: 'admin@test.example', accepted: true }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5, occupied: 0 });
  });

  it('skipCompensation needs a reason, and ends the saga FAILED with the skip on record', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `skip-release-${plate}`;
    await armFault(stack, 'plates.createEntryRecord', requestId);
    await armFault(stack, 'parking.releaseAllocation', requestId);
    const { sagaId } = (
      await quick.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } })
    ).json();
    await waitForSaga(stack, sagaId, (s) => s.status === 'NEEDS_ATTENTION');
    const noReason = await stack.app.inject({ method: 'POST', url: `/sagas/${sagaId}/signals/skipCompensation`, payload: {} });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().fields).toMatchObject([{ field: 'reason' }]);
    const skip = await stack.app.inject({
      method: 'POST',
      url: `/sagas/${sagaId}/signals/skipCompensation`,
      payload: { reason: 'space freed by hand', by: 'ops' },
    });
    expect(skip.statusCode).toBe(202);
    const done = await waitForSaga(stack, sagaId, (s) => s.status === 'FAILED');
    await disarmFault(stack, 'parking.releaseAllocation', requestId);
    await disarmFault(stack, 'plates.createEntryRecord', requestId);
    expect(stepOf(done, 'allocateSpace')).toMatchObject({ compensation: 'SKIPPED' });
    expect(done.actions).toMatchObject([{ action: 'skipCompensation', reason: 'space freed by hand', accepted: true }]);
  });
});
