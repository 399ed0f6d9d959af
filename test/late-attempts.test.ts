import { describe, expect, it } from 'vitest';
import { waitUntil } from './support/processes';
import { createLot, lotCounts, stepOf, uniquePlate, useStack, waitForSaga } from './support/stack';

const stack = useStack();

/**
 * A step attempt can outlive its timeout (its worker stalled, its workflow task was lost) and
 * write after Temporal has moved on. Here every attempt of the space allocation is held at its
 * start, past its timeout, until the saga has rolled the step back; then they go on and write.
 * The step's fence (activities/fencing.ts) must leave no effect behind.
 */
describe('late step attempts', () => {
  it('an allocation that writes after its saga rolled back leaves no space taken and no stay open', { timeout: 240_000 }, async () => {
    const lot = await createLot(stack, { capacity: 2 });
    const plate = uniquePlate();
    const requestId = `late-allocation-${plate}`;
    await stack.domains.faults.arm('parking.allocateSpace', { match: requestId, hold: true });
    try {
      const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } });
      expect([201, 202, 409]).toContain(res.statusCode);
      const sagaId = res.json().sagaId as string;

      // Every attempt times out while held: the step fails after its retries and the saga rolls back.
      const state = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED', 180_000);
      expect(stepOf(state, 'allocateSpace')).toMatchObject({ status: 'FAILED', compensation: 'COMPENSATED' });

      // The held attempts go on now, after the rollback, and write under the step's key.
      await stack.domains.faults.disarm('parking.allocateSpace', requestId);
      const key = `${sagaId}/allocateSpace`;
      // The stay exists only because a late attempt wrote it (the rollback writes none), and it must end closed.
      await waitUntil(
        `the late allocation ${key} to be undone`,
        async () => (await stack.db.stay.findUnique({ where: { key } }))?.status === 'RELEASED' && (await lotCounts(stack, lot.id)).free === 2,
        60_000,
      );
      expect(await stack.db.space.count({ where: { holderKey: key } })).toBe(0);
      expect(await stack.db.stepFence.findUnique({ where: { key } })).not.toBeNull();
    } finally {
      await stack.domains.faults.disarm('parking.allocateSpace', requestId);
    }
  });
});
