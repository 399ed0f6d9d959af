/**
 * What every saga shares, as the API, the saga client, the kit and the activities see it:
 * statuses, operator signals, the answer update, the state query, the step-key format and
 * the state's shape. Deterministic and free of the kit: safe in workflow code and in the API.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';

/** The lifecycle of a saga, as the `state` query and the SagaStatus search attribute show it. */
export const sagaStatus = z.enum(['RUNNING', 'COMPLETED', 'COMPENSATING', 'COMPENSATED', 'REJECTED', 'NEEDS_ATTENTION', 'FAILED']);
export type SagaStatus = z.infer<typeof sagaStatus>;

/** Statuses after which a saga does nothing more. */
export const FINAL_STATUSES: readonly SagaStatus[] = ['COMPLETED', 'COMPENSATED', 'REJECTED', 'FAILED'];

/** The payload of every operator signal; `reason` ends up in the saga's audit trail. */
export const operatorInput = z.object({ reason: z.string().max(1000).optional(), by: z.string().max(200).optional() });
export type OperatorInput = z.infer<typeof operatorInput>;

/** Signals any saga takes; sagas add their own (vehicle entry: gatePassed). */
export const OPERATOR_SIGNALS = ['compensate', 'retryStep', 'retryCompensation', 'skipCompensation'] as const;
export type OperatorSignal = (typeof OPERATOR_SIGNALS)[number];

/** What each operator signal does, as the Web UI shows it next to its name. */
export const OPERATOR_SIGNAL_MEANINGS: Record<OperatorSignal, string> = {
  compensate: 'roll back what the saga did',
  retryStep: 'try the failed step again',
  retryCompensation: 'try the failed compensation again',
  skipCompensation: 'give up on the failed compensation (needs a reason; the saga ends FAILED)',
};

/** Roll back what the saga completed (a running saga, or one waiting for an operator). */
export const compensateSignal = defineSignal<[OperatorInput?]>('compensate');
/** Try the step that ran out of retries again. */
export const retryStepSignal = defineSignal<[OperatorInput?]>('retryStep');
/** Try the compensation that ran out of retries again. */
export const retryCompensationSignal = defineSignal<[OperatorInput?]>('retryCompensation');
/** Give up on a failed compensation (a reason is required); the saga ends FAILED. */
export const skipCompensationSignal = defineSignal<[OperatorInput?]>('skipCompensation');

/** A caller's request id: letters, digits and . _ : - (safe inside a workflow id; never a `/`). */
export const requestId = z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits and . _ : - only, at most 100');

/** A saga's id: its saga's id prefix and the request id that started it, `<idPrefix>-<requestId>`. */
export const sagaId = z.string().regex(/^[A-Za-z0-9._:-]{1,150}$/, 'not a saga id');
export const sagaIdOf = (idPrefix: string, request: string): string => `${idPrefix}-${request}`;

/**
 * A step's idempotency key, `<sagaId>/<step>`: unique to one saga and one step. Saga ids never
 * hold a `/` (see requestId), so the first `/` splits it back.
 */
export function stepKey(sagaId: string, step: string): string {
  return `${sagaId}/${step}`;
}

/** The saga and step a step key names (undefined for a key that is not one). */
export function parseStepKey(key: string): { sagaId: string; step: string } | undefined {
  const at = key.indexOf('/');
  if (at <= 0 || at === key.length - 1) return undefined;
  return { sagaId: key.slice(0, at), step: key.slice(at + 1) };
}

export const stepStatus = z.enum(['RUNNING', 'COMPLETED', 'REJECTED', 'FAILED', 'WAITING_OPERATOR']);
export type StepStatus = z.infer<typeof stepStatus>;

export const compensationStatus = z.enum(['NONE', 'REGISTERED', 'RUNNING', 'COMPENSATED', 'FAILED', 'SKIPPED']);
export type CompensationStatus = z.infer<typeof compensationStatus>;

export const stepState = z.object({
  name: z.string(),
  status: stepStatus,
  /** Activity executions so far, retries included. */
  attempts: z.number(),
  lastError: z.string().optional(),
  /** Which path answered: primary, alternative service or cache (steps with fallbacks). */
  via: z.string().optional(),
  compensation: compensationStatus,
  compensationAttempts: z.number(),
  compensationError: z.string().optional(),
});
export type StepState = z.infer<typeof stepState>;

/** An operator's (or a gate device's) action on the saga, or an anomaly it handled (by "saga"): the audit trail. */
export const operatorAction = z.object({
  action: z.string(),
  reason: z.string().optional(),
  by: z.string().optional(),
  at: z.string(),
  /** False when the saga was not waiting for it; the action then changed nothing. */
  accepted: z.boolean(),
});
export type OperatorAction = z.infer<typeof operatorAction>;

/** What the saga waits for an operator to decide. */
export const attention = z.object({ kind: z.enum(['STEP', 'COMPENSATION']), step: z.string(), error: z.string(), since: z.string() });
export type Attention = z.infer<typeof attention>;

/** A saga's whole state, as its `state` query answers. */
export const sagaState = z.object({
  sagaId: z.string(),
  type: z.string(),
  status: sagaStatus,
  input: z.unknown(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  result: z.unknown().optional(),
  /** Why the saga did not complete: a rejection code (LOT_FULL), GATE_TIMEOUT, STEP_FAILED or OPERATOR. */
  reason: z.string().optional(),
  /** A human-readable explanation of `reason`. */
  error: z.string().optional(),
  /** Business keys (Plate, LotId, UserId, OrderId, ReservationId), as in its search attributes. */
  keys: z.record(z.string(), z.string()),
  steps: z.array(stepState),
  /** Signals the saga takes right now (e.g. gatePassed, retryCompensation). */
  awaiting: z.array(z.string()),
  attention: z.array(attention),
  actions: z.array(operatorAction),
});
export type SagaState<I = unknown, R = unknown> = Omit<z.infer<typeof sagaState>, 'input' | 'result'> & { input: I; result?: R };

/** The saga's whole state. */
export const stateQuery = defineQuery<SagaState>('state');

/**
 * Answers with the saga's state as soon as it has an answer for its caller: it ended,
 * reached its business result (a paid reservation), or waits for something outside
 * (a gate, an operator). The API starts sagas with it (update-with-start).
 */
export const answerUpdate = defineUpdate<SagaState>('answer');
