import { CancellationScope, CancelledFailure, log, patched } from '@temporalio/workflow';
import { Compensations, type CompensationOrder } from './compensation';
import { SagaAbort, toAbort } from './failures';
import { runStep, type StepDefinition } from './forward';
import { OperatorDesk } from './operator';
import { SagaRecord } from './record';
import type { BusinessKeys } from './search-attributes';
import type { OperatorInput } from './signals';
import type { SagaState, StepState } from './state';
import type { StepResult } from '../../shared/saga-contract';
import { waitFor } from './waits';

export type { StepDefinition } from './forward';
import { stepKey } from '../contracts/saga';

export interface SagaOptions<I> {
  /** The saga's type, e.g. "VehicleEntry" (the SagaType search attribute). */
  type: string;
  input: I;
  /** Business keys known at the start (Plate, LotId, ...). */
  keys?: BusinessKeys;
  /** Compensations run in reverse order by default; "parallel" runs them all at once. */
  compensationOrder?: CompensationOrder;
  /**
   * Upsert only the search attributes the start did not set (type, status, keys), and later
   * only business keys whose value changes (`setKeys` with the value a key has already is no
   * upsert). A saga turns it on behind a patch of its own: sagas started before replay with
   * the upsert of them all.
   */
  searchAttributesFromStart?: boolean;
  /**
   * Write saga.needs_attention and saga.resolved events (patch `saga-attention-events`). A saga
   * whose own patch came later passes true: its sagas have it, and each patch asked costs a marker
   * and a search attribute upsert. Left out, the patch is asked.
   */
  attentionEvents?: boolean;
}

/**
 * A saga: steps run forward; each registers its compensation; when a step is rejected,
 * fails for good, or an operator asks, the compensations run backwards. This class only
 * puts the pieces together: the record (state, search attributes, metrics), the operator
 * desk (signals, audit trail, NEEDS_ATTENTION), the forward steps, waits and compensations.
 *
 * @example
 * const saga = new Saga({ type: 'VehicleEntry', input });
 * return saga.run(async () => {
 *   const space = await saga.step('allocateSpace', {
 *     run: (key) => parking.allocateSpace({ key, lotId, plate }),
 *     compensate: (key) => compensations.releaseAllocation({ key }),
 *     compensateFirst: true,
 *   });
 *   return { spaceId: space.spaceId };
 * });
 */
export class Saga<I, R> {
  readonly state: SagaState<I, R>;
  private readonly record: SagaRecord<I, R>;
  private readonly desk: OperatorDesk;
  private readonly compensations: Compensations;

  constructor(options: SagaOptions<I>) {
    // Asked here, once, before the saga's first activity: a patch asked after a local activity
    // within the same workflow task does not replay once a worker lost that task. Sagas started
    // before it write no saga.needs_attention / saga.resolved events (workflows/saga/attention.ts).
    const attentionEvents = options.attentionEvents ?? patched('saga-attention-events');
    this.record = new SagaRecord<I, R>(options.type, options.input);
    this.state = this.record.state;
    this.desk = new OperatorDesk(this.record, attentionEvents);
    this.compensations = new Compensations(this.record, this.desk, options.compensationOrder ?? 'reverse');
    this.record.publishStart(options.keys ?? {}, options.searchAttributesFromStart ?? false);
  }

  /** The idempotency key of one of this saga's steps (e.g. to capture the payment authorized earlier). */
  keyOf(step: string): string {
    return stepKey(this.state.sagaId, step);
  }

  /** Sets business keys learnt on the way (a normalised plate, an order id). */
  setKeys(keys: BusinessKeys): void {
    this.record.setKeys(keys);
  }

  /**
   * Records an anomaly the saga met and handled (e.g. EXIT_NOT_SEEN) where operators look: the
   * audit trail (by "saga"), the `saga_anomalies` metric and the log.
   */
  recordAnomaly(kind: string, detail: string): void {
    this.desk.recordAnomaly(kind, detail);
  }

  /** Records an action in the audit trail (gate devices and operators). */
  recordAction(action: string, input: OperatorInput | undefined, accepted: boolean): void {
    this.desk.recordAction(action, input, accepted);
  }

  /** Runs one step forward, with its compensation registered; returns the activity's value. */
  step<T>(name: string, definition: StepDefinition<T>): Promise<T> {
    return runStep({ record: this.record, desk: this.desk, compensations: this.compensations }, name, this.keyOf(name), definition);
  }

  /**
   * Undoes part of a change the saga made while it runs (e.g. a reservation change that failed
   * part-way), as a compensation would be: shown in the steps as `name` (its compensation), and
   * when it runs out of retries the saga waits in NEEDS_ATTENTION for an operator to retry or
   * skip it, then goes back to the status and waits it had. True when it was undone (not skipped).
   */
  async undo(name: string, run: (why: { reason: string }) => Promise<StepResult<unknown>>): Promise<boolean> {
    const { state } = this;
    const step: StepState = { name, status: 'COMPLETED', attempts: 0, compensation: 'NONE', compensationAttempts: 0 };
    state.steps.push(step);
    const { status, awaiting } = state;
    await this.compensations.runNow(step, run);
    if (state.status !== status) {
      state.awaiting = awaiting;
      this.record.setStatus(status);
    }
    return step.compensation === 'COMPENSATED';
  }

  /**
   * Waits until `done()` holds, for at most `timeoutMs`; false on timeout.
   * A compensate signal or a cancellation meanwhile stops the saga going forward (once `busy()`
   * no longer holds).
   */
  waitFor(signal: string, done: () => boolean, timeoutMs: number, busy?: () => boolean): Promise<boolean> {
    return waitFor(this.record, signal, done, timeoutMs, busy);
  }

  /**
   * Records the saga's business result before its workflow ends (a paid reservation, which
   * then waits for the car): status COMPLETED, answered to the caller at once. The saga may go
   * on with more steps and waits; a compensation afterwards still rolls everything back.
   */
  complete(result: R): void {
    this.state.result = result;
    this.state.awaiting = [];
    this.record.setStatus('COMPLETED');
  }

  /** Stops the saga going forward and rolls it back, e.g. on a timeout: ends COMPENSATED with `reason`. */
  abort(reason: string, message: string): never {
    throw new SagaAbort('compensate', reason, message);
  }

  /** Runs the saga's body; rolls back on rejection, failure or request. Returns the final state. */
  async run(body: () => Promise<R>): Promise<SagaState<I, R>> {
    const { record, state } = this;
    try {
      const result = await body();
      // A compensate or cancel that came in during the last step still rolls it back.
      record.throwIfStopRequested();
      state.result = result;
      record.setStatus('COMPLETED');
    } catch (err) {
      const abort = toAbort(err, record.stopRequest);
      state.reason = abort.reason;
      state.error = abort.message;
      state.awaiting = [];
      record.setStatus('COMPENSATING');
      const complete = await CancellationScope.nonCancellable(() => this.compensations.runAll());
      record.setStatus(abort.kind === 'rejected' && complete ? 'REJECTED' : complete ? 'COMPENSATED' : 'FAILED');
    }
    record.recordEnd();
    log.info('saga ended', { sagaType: state.type, status: state.status, reason: state.reason });
    // A cancelled saga closes as Canceled in Temporal, after its rollback.
    if (this.desk.cancelled) throw new CancelledFailure('saga cancelled and compensated');
    return state;
  }
}
