import { condition, isCancellation } from '@temporalio/workflow';
import type { SagaRecord } from './record';

/**
 * Waits until `done()` holds, for at most `timeoutMs`; false on timeout. Meanwhile the saga
 * takes `signal` (and compensate); a compensate signal or a cancellation stops it going forward.
 * While `busy()` holds (an update changing what the saga holds) neither ends the wait: they
 * take effect once it is over, so that a rollback never runs beside a half-done change.
 */
export async function waitFor(
  record: SagaRecord<unknown, unknown>,
  signal: string,
  done: () => boolean,
  timeoutMs: number,
  busy: () => boolean = () => false,
): Promise<boolean> {
  const { state } = record;
  const before = state.awaiting;
  state.awaiting = [signal, 'compensate'];
  record.showDetails();
  try {
    const met = await condition(() => !busy() && (done() || record.stopRequest !== undefined), timeoutMs);
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
