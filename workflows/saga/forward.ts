import { CancellationScope, log } from '@temporalio/workflow';
import type { StepFallbacks, StepResult } from '../../shared/saga-contract';
import { withActivitySummary } from './activity-summaries';
import { Episode } from './attention';
import type { Compensations } from './compensation';
import { describeFailure, SagaAbort } from './failures';
import type { OperatorDesk } from './operator';
import type { SagaRecord } from './record';
import type { StepState } from './state';

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

/**
 * Runs one step forward with its compensation registered (before or after it runs); its
 * activity's own retries are Temporal's; when they run out, the saga rolls back or an
 * operator decides (retryStep runs the step again). Returns the activity's value.
 */
export async function runStep<T>(
  parts: { record: SagaRecord<unknown, unknown>; desk: OperatorDesk; compensations: Compensations },
  name: string,
  key: string,
  definition: StepDefinition<T>,
): Promise<T> {
  const { record, desk, compensations } = parts;
  record.throwIfStopRequested();
  const step: StepState = { name, status: 'RUNNING', attempts: 0, compensation: 'NONE', compensationAttempts: 0 };
  record.state.steps.push(step);
  const compensate = definition.compensate;
  const register = () => compensate && compensations.register(step, (why) => compensate(key, why));
  if (definition.compensateFirst) register();

  const episode = new Episode(); // opened when an operator is first asked about this step
  const startedAt = Date.now();
  const finish = (outcome: string) => {
    record.metrics.stepDuration.record(Date.now() - startedAt, { step: name, outcome });
    record.metrics.stepAttempts.record(step.attempts, { step: name });
    log.info('saga step ended', { step: name, outcome, attempts: step.attempts, via: step.via, error: step.lastError });
  };
  for (;;) {
    step.status = 'RUNNING';
    record.showDetails();
    try {
      // A step in flight finishes even when the saga is cancelled; the rollback follows it.
      const result = await CancellationScope.nonCancellable(() =>
        withActivitySummary(name, () => definition.run(key, definition.fallbacks ?? {})),
      );
      step.attempts += result.attempt;
      if (result.via !== undefined) step.via = result.via;
      step.status = 'COMPLETED';
      if (!definition.compensateFirst) register();
      finish('completed');
      const resolving = desk.resolve(episode, 'COMPLETED');
      if (resolving) await resolving;
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
      const decision = await desk.ask({ kind: 'STEP', step: name, error: failure.message }, ['retryStep'], episode);
      if (decision !== 'retryStep') {
        step.status = 'FAILED';
        finish('failed');
        // The saga rolls back next (its status moves there when the rollback starts).
        const resolving = desk.resolve(episode, 'ROLLED_BACK', 'COMPENSATING');
        if (resolving) await resolving;
        record.throwIfStopRequested();
      }
    }
  }
}
