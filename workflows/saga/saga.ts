import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  log,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { REJECTION_FAILURE, type StepFailureDetails, type StepFallbacks, type StepResult } from '../../shared/saga-contract';
import { createSagaMetrics, type SagaMetrics } from './metrics';
import { BUSINESS_KEYS, SagaStatusKey, SagaTypeKey, type BusinessKeys } from './search-attributes';
import {
  compensateSignal,
  retryCompensationSignal,
  retryStepSignal,
  skipCompensationSignal,
  stateQuery,
  answerUpdate,
  type OperatorInput,
  type OperatorSignal,
} from './signals';
import type { Attention, SagaState, SagaStatus, StepState } from './state';
import { stepKey } from '../contracts/saga';

export interface SagaOptions<I> {
  /** The saga's type, e.g. "VehicleEntry" (the SagaType search attribute). */
  type: string;
  input: I;
  /** Business keys known at the start (Plate, LotId, ...). */
  keys?: BusinessKeys;
  /** Compensations run in reverse order by default; "parallel" runs them all at once. */
  compensationOrder?: 'reverse' | 'parallel';
}

export interface StepDefinition<T> {
  /**
   * Runs the step's activity; `key` is unique to this saga and step, for idempotency,
   * and `fallbacks` are this definition's fallback options, to hand to the activity.
   */
  run: (key: string, fallbacks: StepFallbacks) => Promise<StepResult<T>>;
  /** Undoes the step; gets the same key as `run`, and why the saga rolls back (e.g. OUT_OF_STOCK). */
  compensate?: (key: string, why: { reason: string }) => Promise<StepResult<unknown>>;
  /**
   * The activity may take effect and still report an error (a lost response, a timeout):
   * register the compensation before it runs, so that a rollback covers it too.
   */
  compensateFirst?: boolean;
  /**
   * What to do when the step's retries run out: roll back (default), or park the saga
   * in NEEDS_ATTENTION until an operator sends retryStep or compensate.
   */
  onExhausted?: 'compensate' | 'askOperator';
  /** Fallback strategies for the step's calls (cache, breaker, alternative services). */
  fallbacks?: StepFallbacks;
}

/** Why a saga stops going forward. */
class SagaAbort extends Error {
  constructor(
    readonly kind: 'rejected' | 'failed' | 'compensate',
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface Compensation {
  step: StepState;
  run: (why: { reason: string }) => Promise<StepResult<unknown>>;
}

interface Decision {
  seq: number;
  signal: OperatorSignal;
}

/**
 * A saga: steps run forward; each registers its compensation; when a step is rejected,
 * fails for good, or an operator asks, the compensations run backwards.
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
  private readonly compensations: Compensation[] = [];
  private readonly compensationOrder: 'reverse' | 'parallel';
  private compensationRequest?: { reason: string; message: string };
  private cancelled = false;
  private decision?: Decision;
  private decisionSeq = 0;
  private readonly metrics: SagaMetrics;

  constructor(options: SagaOptions<I>) {
    const info = workflowInfo();
    this.metrics = createSagaMetrics(options.type);
    this.metrics.started.add(1);
    this.compensationOrder = options.compensationOrder ?? 'reverse';
    this.state = {
      sagaId: info.workflowId,
      type: options.type,
      status: 'RUNNING',
      input: options.input,
      startedAt: new Date().toISOString(),
      keys: {},
      steps: [],
      awaiting: ['compensate'],
      attention: [],
      actions: [],
    };

    setHandler(stateQuery, () => this.state as SagaState);
    setHandler(answerUpdate, async () => {
      await condition(() => this.hasAnswer());
      return this.state as SagaState;
    });
    setHandler(compensateSignal, (input) => this.onCompensate(input));
    setHandler(retryStepSignal, (input) => this.onDecision('retryStep', input));
    setHandler(retryCompensationSignal, (input) => this.onDecision('retryCompensation', input));
    setHandler(skipCompensationSignal, (input) => this.onDecision('skipCompensation', input));
    // A cancel from the CLI or the Web UI rolls the saga back instead of abandoning it.
    CancellationScope.current().cancelRequested.catch(() => {
      this.cancelled = true;
      this.recordAction('cancel', { reason: 'workflow cancellation requested' }, true);
      this.compensationRequest ??= { reason: 'CANCELLED', message: 'the workflow was cancelled' };
    });

    upsertSearchAttributes([
      { key: SagaTypeKey, value: options.type },
      { key: SagaStatusKey, value: 'RUNNING' },
      ...keyPairs(options.keys ?? {}),
    ]);
    this.rememberKeys(options.keys ?? {});
  }

  private rememberKeys(keys: BusinessKeys): void {
    for (const [name, value] of Object.entries(keys)) if (value !== undefined) this.state.keys[name] = value;
  }

  /** The idempotency key of one of this saga's steps (e.g. to capture the payment authorized earlier). */
  keyOf(step: string): string {
    return stepKey(this.state.sagaId, step);
  }

  /** Sets business keys learnt on the way (a normalised plate, an order id). */
  setKeys(keys: BusinessKeys): void {
    upsertSearchAttributes(keyPairs(keys));
    this.rememberKeys(keys);
  }

  /** Records an action in the audit trail (gate devices and operators). */
  recordAction(action: string, input: OperatorInput | undefined, accepted: boolean): void {
    this.metrics.operatorActions.add(1, { action, accepted: String(accepted) });
    log.info('saga action', { action, accepted, reason: input?.reason, by: input?.by });
    this.state.actions.push({
      action,
      ...(input?.reason !== undefined && { reason: input.reason }),
      ...(input?.by !== undefined && { by: input.by }),
      at: new Date().toISOString(),
      accepted,
    });
  }

  /** Runs one step forward, with its compensation registered; returns the activity's value. */
  async step<T>(name: string, definition: StepDefinition<T>): Promise<T> {
    this.throwIfCompensationRequested();
    const step: StepState = { name, status: 'RUNNING', attempts: 0, compensation: 'NONE', compensationAttempts: 0 };
    this.state.steps.push(step);
    const key = this.keyOf(name);
    const register = () => {
      if (!definition.compensate) return;
      const compensate = definition.compensate;
      step.compensation = 'REGISTERED';
      this.compensations.push({ step, run: (why) => compensate(key, why) });
    };
    if (definition.compensateFirst) register();

    const startedAt = Date.now();
    const finish = (outcome: string) => {
      this.metrics.stepDuration.record(Date.now() - startedAt, { step: name, outcome });
      this.metrics.stepAttempts.record(step.attempts, { step: name });
      log.info('saga step ended', { step: name, outcome, attempts: step.attempts, via: step.via, error: step.lastError });
    };
    for (;;) {
      step.status = 'RUNNING';
      try {
        // A step in flight finishes even when the saga is cancelled; the rollback follows it.
        const result = await CancellationScope.nonCancellable(() => definition.run(key, definition.fallbacks ?? {}));
        step.attempts += result.attempt;
        if (result.via !== undefined) step.via = result.via;
        step.status = 'COMPLETED';
        if (!definition.compensateFirst) register();
        finish('completed');
        return result.value;
      } catch (err) {
        const failure = describeFailure(err);
        step.attempts += failure.attempts;
        step.lastError = failure.message;
        if (failure.code) {
          step.status = 'REJECTED';
          finish('rejected');
          throw new SagaAbort('rejected', failure.code, failure.message);
        }
        if (definition.onExhausted !== 'askOperator') {
          step.status = 'FAILED';
          finish('failed');
          throw new SagaAbort('failed', 'STEP_FAILED', `${name} failed: ${failure.message}`);
        }
        step.status = 'WAITING_OPERATOR';
        const decision = await this.askOperator({ kind: 'STEP', step: name, error: failure.message }, ['retryStep']);
        if (decision !== 'retryStep') {
          step.status = 'FAILED';
          finish('failed');
          this.throwIfCompensationRequested();
        }
      }
    }
  }

  /**
   * Waits until `done()` holds, for at most `timeoutMs`; false on timeout.
   * A compensate signal or a cancellation meanwhile stops the saga going forward.
   */
  async waitFor(signal: string, done: () => boolean, timeoutMs: number): Promise<boolean> {
    const before = this.state.awaiting;
    this.state.awaiting = [signal, 'compensate'];
    try {
      const met = await condition(() => done() || this.compensationRequest !== undefined, timeoutMs);
      this.throwIfCompensationRequested();
      return met;
    } catch (err) {
      if (isCancellation(err)) this.throwIfCompensationRequested();
      throw err;
    } finally {
      this.state.awaiting = before;
    }
  }

  /**
   * Records the saga's business result before its workflow ends (a paid reservation, which
   * then waits for the car): status COMPLETED, answered to the caller at once. The saga may go
   * on with more steps and waits; a compensation afterwards still rolls everything back.
   */
  complete(result: R): void {
    this.state.result = result;
    this.state.awaiting = [];
    this.setStatus('COMPLETED');
  }

  /** True once the caller can be answered: ended, completed, or waiting for someone outside. */
  private hasAnswer(): boolean {
    const { status, awaiting } = this.state;
    if (status !== 'RUNNING' && status !== 'COMPENSATING') return true;
    return status === 'RUNNING' && awaiting.some((signal) => signal !== 'compensate');
  }

  /** Stops the saga going forward and rolls it back, e.g. on a timeout: ends COMPENSATED with `reason`. */
  abort(reason: string, message: string): never {
    throw new SagaAbort('compensate', reason, message);
  }

  /** Runs the saga's body; rolls back on rejection, failure or request. Returns the final state. */
  async run(body: () => Promise<R>): Promise<SagaState<I, R>> {
    try {
      const result = await body();
      // A compensate or cancel that came in during the last step still rolls it back.
      this.throwIfCompensationRequested();
      this.state.result = result;
      this.setStatus('COMPLETED');
    } catch (err) {
      const abort = toAbort(err, this.compensationRequest);
      this.state.reason = abort.reason;
      this.state.error = abort.message;
      this.state.awaiting = [];
      this.setStatus('COMPENSATING');
      const complete = await CancellationScope.nonCancellable(() => this.compensateAll());
      this.setStatus(abort.kind === 'rejected' && complete ? 'REJECTED' : complete ? 'COMPENSATED' : 'FAILED');
    }
    this.state.awaiting = [];
    this.state.endedAt = new Date().toISOString();
    const outcome = this.state.status.toLowerCase();
    this.metrics.outcomes.add(1, { outcome });
    this.metrics.duration.record(Date.parse(this.state.endedAt) - Date.parse(this.state.startedAt), { outcome });
    log.info('saga ended', { sagaType: this.state.type, status: this.state.status, reason: this.state.reason });
    // A cancelled saga closes as Canceled in Temporal, after its rollback.
    if (this.cancelled) throw new CancelledFailure('saga cancelled and compensated');
    return this.state;
  }

  private async compensateAll(): Promise<boolean> {
    const pending = this.compensations.filter((c) => c.step.compensation === 'REGISTERED').reverse();
    if (this.compensationOrder === 'parallel') {
      await Promise.all(pending.map((c) => this.compensateOne(c)));
    } else {
      for (const c of pending) await this.compensateOne(c);
    }
    return this.compensations.every((c) => c.step.compensation === 'COMPENSATED');
  }

  private async compensateOne(c: Compensation): Promise<void> {
    for (;;) {
      c.step.compensation = 'RUNNING';
      try {
        const result = await c.run({ reason: this.state.reason ?? 'COMPENSATED' });
        c.step.compensationAttempts += result.attempt;
        c.step.compensation = 'COMPENSATED';
        delete c.step.compensationError;
        this.metrics.compensations.add(1, { step: c.step.name, outcome: 'compensated' });
        return;
      } catch (err) {
        const failure = describeFailure(err);
        c.step.compensationAttempts += failure.attempts;
        c.step.compensation = 'FAILED';
        c.step.compensationError = failure.message;
        this.metrics.compensations.add(1, { step: c.step.name, outcome: 'failed' });
        const decision = await this.askOperator({ kind: 'COMPENSATION', step: c.step.name, error: failure.message }, [
          'retryCompensation',
          'skipCompensation',
        ]);
        if (decision === 'skipCompensation') {
          c.step.compensation = 'SKIPPED';
          this.metrics.compensations.add(1, { step: c.step.name, outcome: 'skipped' });
          return;
        }
      }
    }
  }

  /** Parks the saga in NEEDS_ATTENTION until an operator sends one of `signals` (or compensate, for a step). */
  private async askOperator(attention: Omit<Attention, 'since'>, signals: OperatorSignal[]): Promise<OperatorSignal> {
    const entry: Attention = { ...attention, since: new Date().toISOString() };
    const accepted: OperatorSignal[] = attention.kind === 'STEP' ? [...signals, 'compensate'] : signals;
    const seen = this.decisionSeq;
    this.state.attention.push(entry);
    this.metrics.needsAttention.add(1, { kind: attention.kind });
    log.warn('saga needs attention', { kind: attention.kind, step: attention.step, error: attention.error });
    this.state.awaiting = [...new Set([...this.state.awaiting, ...accepted])];
    this.setStatus('NEEDS_ATTENTION');
    const decided = () =>
      (this.decision !== undefined && this.decision.seq > seen && accepted.includes(this.decision.signal)) ||
      (attention.kind === 'STEP' && this.compensationRequest !== undefined);
    try {
      await condition(decided);
    } catch (err) {
      // Cancelled while waiting on a step: the cancel handler has asked for compensation.
      if (!isCancellation(err)) throw err;
    }
    this.state.attention = this.state.attention.filter((a) => a !== entry);
    if (this.state.attention.length === 0) {
      const forward = attention.kind === 'STEP';
      this.state.awaiting = forward ? ['compensate'] : [];
      this.setStatus(forward ? 'RUNNING' : 'COMPENSATING');
    }
    if (this.decision && this.decision.seq > seen && accepted.includes(this.decision.signal)) return this.decision.signal;
    return 'compensate';
  }

  private onCompensate(input: OperatorInput | undefined): void {
    const accepted = this.state.awaiting.includes('compensate') && this.compensationRequest === undefined;
    this.recordAction('compensate', input, accepted);
    if (accepted) {
      this.compensationRequest = { reason: 'OPERATOR', message: input?.reason ?? 'compensation requested by an operator' };
    }
  }

  private onDecision(signal: OperatorSignal, input: OperatorInput | undefined): void {
    const waiting = this.state.status === 'NEEDS_ATTENTION' && this.state.awaiting.includes(signal);
    // Skipping a compensation leaves the world unbalanced: it needs a reason on record.
    const accepted = waiting && (signal !== 'skipCompensation' || Boolean(input?.reason));
    this.recordAction(signal, input, accepted);
    if (accepted) this.decision = { seq: ++this.decisionSeq, signal };
  }

  private throwIfCompensationRequested(): void {
    const request = this.compensationRequest;
    if (request) throw new SagaAbort('compensate', request.reason, request.message);
  }

  private setStatus(status: SagaStatus): void {
    if (this.state.status === status) return;
    this.state.status = status;
    upsertSearchAttributes([{ key: SagaStatusKey, value: status }]);
  }
}

function keyPairs(keys: BusinessKeys): SearchAttributeUpdatePair[] {
  return Object.entries(keys)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ({ key: BUSINESS_KEYS[name as keyof typeof BUSINESS_KEYS], value: value as string }));
}

/** The business code (for rejections), message and attempt count of a failed activity. */
function describeFailure(err: unknown): { code?: string; message: string; attempts: number } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as Partial<StepFailureDetails>;
    const attempts = typeof details.attempt === 'number' ? details.attempt : 1;
    if (cause.type === REJECTION_FAILURE && details.code) return { code: details.code, message: cause.message, attempts };
    return { message: cause.message, attempts };
  }
  // Timeouts and other server-side failures carry no attempt count: count at least one.
  return { message: cause instanceof Error ? cause.message : String(cause), attempts: 1 };
}

function toAbort(err: unknown, request: { reason: string; message: string } | undefined): SagaAbort {
  if (err instanceof SagaAbort) return err;
  if (isCancellation(err)) {
    return new SagaAbort('compensate', request?.reason ?? 'CANCELLED', request?.message ?? 'the workflow was cancelled');
  }
  // Anything else is a bug in the workflow: let Temporal retry the task once the code is fixed.
  throw err;
}
