/**
 * The port to a card payment gateway. Implemented in vendors/payment-gateway.ts on the
 * resilience layer; the domain never sees HTTP. Every mutating call carries an
 * idempotency key: the same key must answer the same without a second effect.
 *
 * Declines and invalid transitions are answers (outcomes), not errors. Other refusals
 * throw BusinessRejection; outages throw anything else (retryable).
 */
export type PaymentPurpose = 'reservation' | 'order';
export type GatewayPaymentStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';

export interface GatewayPayment {
  paymentId: string;
  status: GatewayPaymentStatus;
  amount: number;
  refundedAmount?: number;
}

/** An answer and the path that gave it ("primary:<instance>", "alternative:<service>"). */
export interface GatewayAnswer<T> {
  value: T;
  via: string;
}

export type GatewayAuthorization =
  | { outcome: 'AUTHORIZED'; payment: GatewayPayment }
  | { outcome: 'DECLINED'; reason: string };

export type GatewayTransition =
  | { outcome: 'DONE'; payment: GatewayPayment }
  /** The payment is not in the state the operation starts from; `status` is where it is. */
  | { outcome: 'INVALID_TRANSITION'; status: GatewayPaymentStatus };

export interface AuthorizeRequest {
  idempotencyKey: string;
  /** Whole currency units. */
  amount: number;
  currency: string;
  purpose: PaymentPurpose;
  reference: string;
}

export interface PaymentGateway {
  authorize(req: AuthorizeRequest): Promise<GatewayAnswer<GatewayAuthorization>>;
  capture(paymentId: string, req: { idempotencyKey: string }): Promise<GatewayAnswer<GatewayTransition>>;
  void(paymentId: string, req: { idempotencyKey: string }): Promise<GatewayAnswer<GatewayTransition>>;
  refund(paymentId: string, req: { idempotencyKey: string; amount?: number }): Promise<GatewayAnswer<GatewayTransition>>;
  get(paymentId: string): Promise<GatewayAnswer<GatewayPayment>>;
}

/** The gateway of a process that has none (e.g. an API process): every call fails, retryably. */
export const UNCONFIGURED_PAYMENT_GATEWAY: PaymentGateway = {
  authorize: () => Promise.reject(new Error('no payment gateway is configured in this process')),
  capture: () => Promise.reject(new Error('no payment gateway is configured in this process')),
  void: () => Promise.reject(new Error('no payment gateway is configured in this process')),
  refund: () => Promise.reject(new Error('no payment gateway is configured in this process')),
  get: () => Promise.reject(new Error('no payment gateway is configured in this process')),
};
