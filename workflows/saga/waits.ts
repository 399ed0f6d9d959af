import { condition, isCancellation } from '@temporalio/workflow';
import type { SagaRecord } from './record';

/**
 * Waits until `done()` holds, for at most `timeoutMs`; false on timeout. Meanwhile the saga
 * takes `signal` (and compensate); a compensate signal or a cancellation stops it going forward.
 */
export async function waitFor(record: SagaRecord<unknown, unknown>, signal: string, done: () => boolean, timeoutMs: number): Promise<boolean> {
  const { state } = record;
  const before = state.awaiting;
  state.awaiting = [signal, 'compensate'];
  record.showDetails();
  try {
    const met = await condition(() => done() || record.stopRequest !== undefined, timeoutMs);
    record.throwIfStopRequested();
    return met;
  } catch (err) {
    if (isCancellation(err)) record.throwIfStopRequested();
    throw err;
  } finally {
    state.awaiting = before;
    record.showDetails();
  }
}
