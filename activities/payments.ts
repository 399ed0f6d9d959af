import type { PaymentPurpose, PaymentService } from '../domains/payments';
import type { StepFallbacks } from '../shared/saga-contract';
import { withPaymentAlternatives } from '../vendors/payment-gateway';
import { asStep } from './as-step';
import type { Fencing } from './fencing';

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

/**
 * Payment steps against the gateway (through the resilience layer); `via` says which gateway
 * answered. Fenced by the authorization's key (see ./fencing): a late authorization or capture
 * after the void is voided or refunded.
 */
export function createPaymentActivities(payments: PaymentService, fencing: Fencing) {
  return {
    authorizePayment: asStep(async ({ fallbacks, ...input }: AuthorizePaymentInput, report) => {
      const payment = await asTheStepSays(fallbacks, () =>
        fencing.forward(input.key, () => payments.authorize(input), () => payments.voidPayment({ key: input.key })),
      );
      if (payment.via) report.via(payment.via);
      return payment;
    }),
    /** Captures the authorization made under `key` (the authorizePayment step's key). */
    capturePayment: asStep(async ({ fallbacks, ...input }: { key: string; fallbacks?: StepFallbacks }, report) => {
      const payment = await asTheStepSays(fallbacks, () =>
        fencing.forward(input.key, () => payments.capture(input), () => payments.voidPayment({ key: input.key })),
      );
      if (payment.via) report.via(payment.via);
      return payment;
    }),
    /** Undoes authorizePayment: voids, or refunds what was captured (the saga passes its step's fallbacks). */
    voidPayment: asStep(({ fallbacks, ...input }: { key: string; fallbacks?: StepFallbacks }) =>
      asTheStepSays(fallbacks, () => fencing.undo(input.key, () => payments.voidPayment(input))),
    ),
  };
}
