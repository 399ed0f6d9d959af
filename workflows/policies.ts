import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';
import { REJECTION_FAILURE } from '../shared/saga-contract';

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
 * The same short step run as a local activity, in the worker that runs the saga: no round
 * trip through the server's task queues per step, so a saga of such steps costs about one
 * workflow task. Same timeout and retries; retries back off inside the worker (all of them
 * fit under the SDK's one-minute local retry threshold). A worker that dies mid-step leaves
 * its workflow task to time out, and the step runs again on another worker: the steps are
 * idempotent by their key, as for ordinary activities. The price: while a local step runs,
 * the saga's workflow task is open, so queries, updates and signals wait for the step (at
 * most until the SDK heartbeats the task, 80 % of its 10 s timeout). Hence short steps only.
 */
export const localDatabaseStep: LocalActivityOptions = {
  startToCloseTimeout: databaseStep.startToCloseTimeout!,
  retry: databaseStep.retry!,
};

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
