import type { ActivityOptions } from '@temporalio/workflow';
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
