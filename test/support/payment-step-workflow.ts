/**
 * Workflow code for test/payment-fallbacks.test.ts only: the platform's sagas plus a saga of
 * one payment step whose `alternativeServices` flag comes from its input, so that a test can
 * run the real activity, saga kit and retry policy with the flag either way. Its worker loads
 * this file's bundle instead of the product's.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { compensationStep, vendorStep } from '../../workflows/policies';
import { Saga, type SagaState } from '../../workflows/saga';

export * from '../../workflows';

export interface PaymentStepInput {
  reference: string;
  amount: number;
  alternativeServices: boolean;
}

const payments = proxyActivities<Activities>(vendorStep);
const compensations = proxyActivities<Activities>(compensationStep);

/** Authorizes one payment, with its undo, both with the input's fallbacks (as the product sagas do). */
export async function paymentStep(input: PaymentStepInput): Promise<SagaState<PaymentStepInput, { status: string }>> {
  const saga = new Saga<PaymentStepInput, { status: string }>({ type: 'PaymentStepTest', input });
  const fallbacks = { alternativeServices: input.alternativeServices };
  return saga.run(async () => {
    const payment = await saga.step('authorizePayment', {
      run: (key, stepFallbacks) => payments.authorizePayment({ key, fallbacks: stepFallbacks, purpose: 'order', reference: input.reference, amount: input.amount }),
      compensate: (key) => compensations.voidPayment({ key, fallbacks }),
      compensateFirst: true,
      fallbacks,
    });
    return { status: payment.status };
  });
}
