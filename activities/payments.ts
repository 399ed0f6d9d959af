import type { PaymentPurpose, PaymentService } from '../domains/payments';
import type { StepFallbacks } from '../shared/saga-contract';
import { withPaymentAlternatives } from '../vendors/payment-gateway';
import { asStep } from './as-step';

/**
 * Runs a payment operation with the gateway's alternatives as the step says: the backup
 * gateway only for `alternativeServices: true`. Without `fallbacks` at all (an activity
 * scheduled by saga code older than the flag, still retrying) the gateway keeps what it did
 * then: its configured alternatives.
 */
export function asTheStepSays<T>(fallbacks: StepFallbacks | undefined, call: () => Promise<T>): Promise<T> {
  return fallbacks ? withPaymentAlternatives(fallbacks.alternativeServices === true, call) : call();
}

export interface AuthorizePaymentInput {
  key: string;
  purpose: PaymentPurpose;
  reference: string;
  amount: number;
  fallbacks?: StepFallbacks;
}

/** Payment steps against the gateway (through the resilience layer); `via` says which gateway answered. */
export function createPaymentActivities(payments: PaymentService) {
  return {
    authorizePayment: asStep(async ({ fallbacks, ...input }: AuthorizePaymentInput, report) => {
      const payment = await asTheStepSays(fallbacks, () => payments.authorize(input));
      if (payment.via) report.via(payment.via);
      return payment;
    }),
    capturePayment: asStep(async ({ fallbacks, ...input }: { key: string; fallbacks?: StepFallbacks }, report) => {
      const payment = await asTheStepSays(fallbacks, () => payments.capture(input));
      if (payment.via) report.via(payment.via);
      return payment;
    }),
    /** Undoes authorizePayment: voids, or refunds what was captured (the saga passes its step's fallbacks). */
    voidPayment: asStep(({ fallbacks, ...input }: { key: string; fallbacks?: StepFallbacks }) =>
      asTheStepSays(fallbacks, () => payments.voidPayment(input)),
    ),
  };
}
