export {
  createPaymentService,
  gatewayKey,
  type PaymentOptions,
  type PaymentService,
  type PaymentStatus,
  type PaymentView,
} from './payment-service';
export { UNCONFIGURED_PAYMENT_GATEWAY } from './payment-gateway-port';
export type {
  AuthorizeRequest,
  GatewayAnswer,
  GatewayAuthorization,
  GatewayPayment,
  GatewayPaymentStatus,
  GatewayTransition,
  PaymentGateway,
  PaymentPurpose,
} from './payment-gateway-port';
