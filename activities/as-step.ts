import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { BusinessRejection } from '../domains/errors';
import { retryAfterMsOf, withCancellation } from '../resilience';
import { REJECTION_FAILURE, type StepFailureDetails, type StepResult } from '../shared/saga-contract';

/** Lets a step's body say which path answered (primary, alternative, cache). */
export interface StepReporter {
  via(path: string): void;
}

/**
 * Wraps a domain call as a saga step activity: the result carries the attempt
 * number, and domain errors become Temporal failures (rejections never retry,
 * everything else is retried by the activity's retry policy). The activity's cancellation (a
 * cancel, a timeout, the worker shutting down) reaches every vendor call the body makes.
 *
 * @example
 * const allocateSpace = asStep((input: AllocateInput) => parking.allocateSpace(input));
 */
export function asStep<I, O>(body: (input: I, report: StepReporter) => Promise<O>): (input: I) => Promise<StepResult<O>> {
  return async (input: I) => {
    const { info, cancellationSignal } = Context.current();
    const attempt = info.attempt;
    let via: string | undefined;
    try {
      const value = await withCancellation(cancellationSignal, () => body(input, { via: (path) => (via = path) }));
      return via === undefined ? { value, attempt } : { value, attempt, via };
    } catch (err) {
      throw toFailure(err, attempt);
    }
  };
}

/** Maps an error from the domain or the network to the failure Temporal records. */
export function toFailure(err: unknown, attempt: number): ApplicationFailure {
  if (err instanceof BusinessRejection) {
    const details: StepFailureDetails = { attempt, code: err.code };
    return ApplicationFailure.create({ type: REJECTION_FAILURE, message: err.message, nonRetryable: true, details: [details] });
  }
  if (err instanceof ApplicationFailure) return err;
  const error = err instanceof Error ? err : new Error(String(err));
  const details: StepFailureDetails = { attempt };
  // An open breaker says when it is worth trying again: Temporal waits that long
  // instead of its backoff, so that retries do not hammer a service known to be down.
  const retryAfterMs = retryAfterMsOf(err);
  return ApplicationFailure.create({
    type: error.name,
    message: error.message,
    nonRetryable: false,
    details: [details],
    cause: error,
    ...(retryAfterMs !== undefined && { nextRetryDelay: Math.max(retryAfterMs, 100) }),
  });
}
