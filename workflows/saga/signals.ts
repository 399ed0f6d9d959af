import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SagaState } from './state';

/** The payload of every operator signal; `reason` ends up in the saga's audit trail. */
export interface OperatorInput {
  reason?: string;
  by?: string;
}

/** Roll back what the saga completed (a running saga, or one waiting for an operator). */
export const compensateSignal = defineSignal<[OperatorInput?]>('compensate');
/** Try the step that ran out of retries again. */
export const retryStepSignal = defineSignal<[OperatorInput?]>('retryStep');
/** Try the compensation that ran out of retries again. */
export const retryCompensationSignal = defineSignal<[OperatorInput?]>('retryCompensation');
/** Give up on a failed compensation (a reason is required); the saga ends FAILED. */
export const skipCompensationSignal = defineSignal<[OperatorInput?]>('skipCompensation');

/** The saga's whole state. */
export const stateQuery = defineQuery<SagaState>('state');

/**
 * Answers with the saga's state as soon as it has an answer for its caller: it ended,
 * reached its business result (a paid reservation), or waits for something outside
 * (a gate, an operator). The API starts sagas with it (update-with-start).
 */
export const answerUpdate = defineUpdate<SagaState>('answer');

/** Signals any saga takes; sagas add their own (vehicle entry: gatePassed). */
export const OPERATOR_SIGNALS = ['compensate', 'retryStep', 'retryCompensation', 'skipCompensation'] as const;
export type OperatorSignal = (typeof OPERATOR_SIGNALS)[number];
