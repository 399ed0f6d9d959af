import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { REJECTION_FAILURE, type StepFailureDetails } from '../../shared/saga-contract';

/** Why the saga stops going forward, as recorded in its state. */
export interface StopRequest {
  reason: string;
  message: string;
}

/** Why a saga stops going forward. */
export class SagaAbort extends Error {
  constructor(
    readonly kind: 'rejected' | 'failed' | 'compensate',
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The business code (for rejections), message and attempt count of a failed activity. */
export function describeFailure(err: unknown): { code?: string; message: string; attempts: number } {
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

/** What the saga's body threw, as the abort to roll back for. */
export function toAbort(err: unknown, request: StopRequest | undefined): SagaAbort {
  if (err instanceof SagaAbort) return err;
  if (isCancellation(err)) {
    return new SagaAbort('compensate', request?.reason ?? 'CANCELLED', request?.message ?? 'the workflow was cancelled');
  }
  // Anything else is a bug in the workflow: let Temporal retry the task once the code is fixed.
  throw err;
}
