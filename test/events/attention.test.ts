import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../domains/events';
import { armFault, createLot, disarmFault, uniquePlate, useStack, waitForSaga } from '../support/stack';
import { eventsOf, headOf, typesOf } from './event-reader';

const stack = useStack({ waitMs: 300 });

const post = (url: string, payload: object) => stack.app.inject({ method: 'POST', url, payload });
const ofSaga = (sagaId: string) => (event: CloudEvent) => event.subject === `saga/${sagaId}`;
const has = (type: string) => (events: CloudEvent[]) => events.some((e) => e.type === type);

/**
 * An entry saga whose entry record cannot be written and whose space cannot be released: it rolls
 * back and parks in NEEDS_ATTENTION on the release (as in test/compensation.test.ts).
 */
async function stuckEntry(requestId: string, extraFaults: string[] = []) {
  const lot = await createLot(stack);
  const plate = uniquePlate();
  const faults = ['plates.createEntryRecord', 'parking.releaseAllocation'];
  for (const point of [...faults, ...extraFaults]) await armFault(stack, point, requestId, point.endsWith('.after') ? 1 : undefined);
  const res = await post('/vehicle-entries', { lotId: lot.id, plate, requestId });
  const sagaId = res.json().sagaId as string;
  expect(sagaId).toBeTruthy();
  await waitForSaga(stack, sagaId, (s) => s.status === 'NEEDS_ATTENTION');
  return {
    sagaId,
    lotId: lot.id,
    /** The release works again (and the entry record, for good measure). */
    fix: async () => {
      for (const point of faults) await disarmFault(stack, point, requestId);
    },
  };
}

describe('saga events: needs attention, resolved by an operator', () => {
  it('a compensation out of retries writes one saga.needs_attention; retryCompensation that works writes one saga.resolved with the operator and the reason', async () => {
    const after = await headOf(stack);
    const requestId = `ev-attention-retry-${uniquePlate()}`;
    const { sagaId, lotId, fix } = await stuckEntry(requestId);

    const [attention] = await eventsOf(stack, after, ofSaga(sagaId), has('saga.needs_attention'));
    expect(attention).toMatchObject({
      type: 'saga.needs_attention',
      subject: `saga/${sagaId}`,
      specversion: '1.0',
      data: {
        sagaId,
        sagaType: 'VehicleEntry',
        episode: 1,
        kind: 'COMPENSATION',
        step: 'allocateSpace',
        error: expect.stringContaining('injected fault'),
        attempts: 5,
        signals: ['retryCompensation', 'skipCompensation'],
        keys: expect.objectContaining({ LotId: lotId }),
      },
    });

    await fix();
    const retry = await post(`/sagas/${sagaId}/signals/retryCompensation`, { reason: 'database fixed' });
    expect(retry.statusCode).toBe(202);
    await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');

    const events = await eventsOf(stack, after, ofSaga(sagaId), has('saga.resolved'));
    expect(typesOf(events)).toEqual(['saga.needs_attention', 'saga.resolved']);
    expect(events[1]!.data).toEqual({
      sagaId,
      sagaType: 'VehicleEntry',
      episode: 1,
      kind: 'COMPENSATION',
      step: 'allocateSpace',
      action: 'retryCompensation',
      by: 'admin@test.example',
      reason: 'database fixed',
      outcome: 'COMPENSATED',
      status: 'COMPENSATING',
      at: expect.any(String),
    });
    expect(events[0]!.id).not.toBe(events[1]!.id);
    expect(await stack.db.domainEvent.count({ where: { subject: `saga/${sagaId}` } })).toBe(2);
  });

  it('skipCompensation writes saga.resolved with the skip, its reason and who sent it', async () => {
    const after = await headOf(stack);
    const requestId = `ev-attention-skip-${uniquePlate()}`;
    const { sagaId, fix } = await stuckEntry(requestId);
    try {
      const skip = await post(`/sagas/${sagaId}/signals/skipCompensation`, { reason: 'space freed by hand' });
      expect(skip.statusCode).toBe(202);
      await waitForSaga(stack, sagaId, (s) => s.status === 'FAILED');
    } finally {
      await fix();
    }
    const events = await eventsOf(stack, after, ofSaga(sagaId), has('saga.resolved'));
    expect(typesOf(events)).toEqual(['saga.needs_attention', 'saga.resolved']);
    expect(events[1]!.data).toMatchObject({
      episode: 1,
      step: 'allocateSpace',
      action: 'skipCompensation',
      by: 'admin@test.example',
      reason: 'space freed by hand',
      outcome: 'SKIPPED',
    });
  });

  it('an exit whose release step keeps failing asks for retryStep (saga.needs_attention of kind STEP); the retried step that works is saga.resolved COMPLETED', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    expect((await post('/vehicle-entries', { lotId: lot.id, plate })).statusCode).toBe(201);
    const after = await headOf(stack);
    const requestId = `ev-attention-step-${plate}`;
    await armFault(stack, 'parking.releaseVehicle', requestId);
    let sagaId: string;
    try {
      sagaId = (await post('/vehicle-exits', { lotId: lot.id, plate, requestId })).json().sagaId;
      await waitForSaga(stack, sagaId, (s) => s.status === 'NEEDS_ATTENTION');
    } finally {
      await disarmFault(stack, 'parking.releaseVehicle', requestId);
    }
    expect((await post(`/sagas/${sagaId}/signals/retryStep`, { reason: 'db back' })).statusCode).toBe(202);
    await waitForSaga(stack, sagaId, (s) => s.status === 'COMPLETED');
    const events = await eventsOf(stack, after, ofSaga(sagaId), has('saga.resolved'));
    expect(typesOf(events)).toEqual(['saga.needs_attention', 'saga.resolved']);
    expect(events[0]!.data).toMatchObject({ sagaType: 'VehicleExit', episode: 1, kind: 'STEP', step: 'releaseSpace', attempts: 4, signals: ['retryStep', 'compensate'] });
    expect(events[1]!.data).toMatchObject({ episode: 1, step: 'releaseSpace', action: 'retryStep', reason: 'db back', by: 'admin@test.example', outcome: 'COMPLETED', status: 'RUNNING' });
  });

  it('an event write that fails after it committed is retried without a second event', async () => {
    const after = await headOf(stack);
    const requestId = `ev-attention-twice-${uniquePlate()}`;
    const afterWrites = ['sagaEvents.needsAttention.after', 'sagaEvents.resolved.after'];
    const { sagaId, fix } = await stuckEntry(requestId, afterWrites);
    try {
      await fix();
      expect((await post(`/sagas/${sagaId}/signals/retryCompensation`, { reason: 'fixed' })).statusCode).toBe(202);
      await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');
      const events = await eventsOf(stack, after, ofSaga(sagaId), has('saga.resolved'));
      expect(typesOf(events)).toEqual(['saga.needs_attention', 'saga.resolved']);
      expect(await stack.db.domainEvent.count({ where: { subject: `saga/${sagaId}` } })).toBe(2);
      // Each switch was armed for one failure and is gone: both writes failed once after committing, and were retried.
      expect(await stack.db.faultSwitch.count({ where: { point: { in: afterWrites }, match: requestId } })).toBe(0);
      const attempts = await eventActivityAttempts(sagaId);
      expect(attempts).toEqual({ recordSagaNeedsAttention: 2, recordSagaResolved: 2 });
    } finally {
      for (const point of afterWrites) await disarmFault(stack, point, requestId);
    }
  });
});

/** The attempt each of the saga's event activities completed on, from its Temporal history. */
async function eventActivityAttempts(sagaId: string): Promise<Record<string, number>> {
  const history = await stack.temporal.workflow.getHandle(sagaId).fetchHistory();
  const events = history.events ?? [];
  const typeOf = new Map<string, string>();
  const attempts: Record<string, number> = {};
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name) typeOf.set(String(e.eventId), scheduled.activityType.name);
    const started = e.activityTaskStartedEventAttributes;
    const name = started ? typeOf.get(String(started.scheduledEventId)) : undefined;
    if (started && name?.startsWith('recordSaga')) attempts[name] = started.attempt ?? 0;
  }
  return attempts;
}
