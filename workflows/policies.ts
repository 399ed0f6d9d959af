import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';
import { REJECTION_FAILURE, type StepFallbacks } from '../shared/saga-contract';

/**
 * Named activity option sets: the Temporal retry policy and timeouts of each kind of step.
 * Business rejections never retry; infrastructure errors back off exponentially.
 */

/** A short write to the project's own database. */
export const databaseStep: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 4,
    nonRetryableErrorTypes: [REJECTION_FAILURE],
  },
};

/**
 * Seed 001's retry_with_backoff for the steps it names a retry_count for: the first retry
 * after 0.5 s, each next one twice as long (initial_delay=0.5, backoff_factor=2.0).
 */
function seed001Retries(retryCount: number): RetryPolicy {
  return {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 1 + retryCount,
    nonRetryableErrorTypes: [REJECTION_FAILURE],
  };
}


/** Space allocation (seed 001: `allocate_step.retry_count = 3`), a database step behind the database breaker. */
export const spaceAllocationStep: ActivityOptions = {
  startToCloseTimeout: databaseStep.startToCloseTimeout!,
  retry: seed001Retries(3),
};

/**
 * A short step run as a local activity, in the worker that runs the saga: no round trip
 * through the server's task queues per step, so a saga of such steps costs about one
 * workflow task. Same timeout and retries as `options`; retries back off inside the worker
 * (all of them must fit under the SDK's one-minute local retry threshold: the policies above
 * wait at most 3.5 s in all). A worker that dies mid-step leaves its workflow task to time
 * out, and the step runs again on another worker: the steps are idempotent by their key, as
 * for ordinary activities. The price: while a local step runs, the saga's workflow task is
 * open, so queries, updates and signals wait for the step (at most until the SDK heartbeats
 * the task, 80 % of its 10 s timeout). Hence short steps only.
 */
export function asLocalStep(options: ActivityOptions): LocalActivityOptions {
  return { startToCloseTimeout: options.startToCloseTimeout!, retry: options.retry! };
}

/** A call to an external vendor (the payment gateway): longer timeouts, backoff up to 10 s. */
export const vendorStep: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '500 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [REJECTION_FAILURE],
  },
};

/**
 * Plate verification (seed 001: `verify_step.retry_count = 2`), a call to the ANPR vendor: the
 * vendor step's timeout, seed 001's retries. Each attempt already goes through the balancer,
 * the backup vendor and the cache; two more tries of that whole chain, then the saga gives up.
 */
export const plateVerificationStep: ActivityOptions = {
  ...vendorStep,
  retry: seed001Retries(2),
};

/**
 * The fallbacks of every payment step and of its undo: the backup gateway when the primary
 * instances are out. Safe because the gateways share one ledger and our idempotency keys
 * (see vendors/payment-gateway.ts): an authorization through one is captured or voided
 * through the other without a second charge. Never the cache: a stale answer about money
 * is worse than none.
 */
export const paymentFallbacks: StepFallbacks = { alternativeServices: true };

/** Undoing a step: retried a little longer before an operator is asked. */
export const compensationStep: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 5,
    nonRetryableErrorTypes: [REJECTION_FAILURE],
  },
};

/**
 * The saga kit's own events (saga.needs_attention, saga.resolved): one short write, retried
 * until the database answers (no attempt cap): the event must not be lost, and a saga that
 * writes one waits for an operator or goes on with database steps anyway.
 */
export const sagaEventStep: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
  },
};
