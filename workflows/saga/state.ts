/** The lifecycle of a saga, as the `state` query and the SagaStatus search attribute show it. */
export type SagaStatus =
  | 'RUNNING'
  | 'COMPLETED'
  | 'COMPENSATING'
  | 'COMPENSATED'
  | 'REJECTED'
  | 'NEEDS_ATTENTION'
  | 'FAILED';

/** Statuses after which a saga does nothing more. */
export const FINAL_STATUSES: readonly SagaStatus[] = ['COMPLETED', 'COMPENSATED', 'REJECTED', 'FAILED'];

export type StepStatus = 'RUNNING' | 'COMPLETED' | 'REJECTED' | 'FAILED' | 'WAITING_OPERATOR';

export type CompensationStatus = 'NONE' | 'REGISTERED' | 'RUNNING' | 'COMPENSATED' | 'FAILED' | 'SKIPPED';

export interface StepState {
  name: string;
  status: StepStatus;
  /** Activity executions so far, retries included. */
  attempts: number;
  lastError?: string;
  /** Which path answered: primary, alternative service or cache (steps with fallbacks). */
  via?: string;
  compensation: CompensationStatus;
  compensationAttempts: number;
  compensationError?: string;
}

/** An operator's (or a gate device's) action on the saga, or an anomaly it handled (by "saga"): the audit trail. */
export interface OperatorAction {
  action: string;
  reason?: string;
  by?: string;
  at: string;
  /** False when the saga was not waiting for it; the action then changed nothing. */
  accepted: boolean;
}

/** What the saga waits for an operator to decide. */
export interface Attention {
  kind: 'STEP' | 'COMPENSATION';
  step: string;
  error: string;
  since: string;
}

export interface SagaState<I = unknown, R = unknown> {
  sagaId: string;
  type: string;
  status: SagaStatus;
  input: I;
  startedAt: string;
  endedAt?: string;
  result?: R;
  /** Why the saga did not complete: a rejection code (LOT_FULL), GATE_TIMEOUT, STEP_FAILED or OPERATOR. */
  reason?: string;
  /** A human-readable explanation of `reason`. */
  error?: string;
  /** Business keys (Plate, LotId, UserId, OrderId, ReservationId), as in its search attributes. */
  keys: Record<string, string>;
  steps: StepState[];
  /** Signals the saga takes right now (e.g. gatePassed, retryCompensation). */
  awaiting: string[];
  attention: Attention[];
  actions: OperatorAction[];
}
