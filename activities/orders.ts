import type { InventoryService, StockLine } from '../domains/inventory';
import type { OrderItem, OrderService } from '../domains/orders';
import type { PaymentPurpose, PaymentService } from '../domains/payments';
import { asStep } from './as-step';

/** Order steps: the order, its stock, and its payment. */
export function createOrderActivities(orders: OrderService, inventory: InventoryService) {
  return {
    createOrder: asStep((input: { key: string; userId: string; items: OrderItem[] }) => orders.createOrder(input)),
    undoCreateOrder: asStep((input: { key: string; reason: string }) => orders.undoCreateOrder(input.key, input.reason)),
    reserveStock: asStep((input: { key: string; orderId: string; lines: StockLine[] }) => inventory.reserveStock(input)),
    releaseStock: asStep((input: { key: string }) => inventory.releaseStock(input.key)),
    /** The order is paid: its reserved stock is sold and the order CONFIRMED. */
    confirmOrder: asStep(async (input: { orderId: string; stockKey: string }) => {
      await inventory.commitStock(input.stockKey);
      return orders.confirmOrder(input.orderId);
    }),
  };
}

/** Payment steps against the gateway (through the resilience layer); `via` says which gateway answered. */
export function createPaymentActivities(payments: PaymentService) {
  return {
    authorizePayment: asStep(async (input: { key: string; purpose: PaymentPurpose; reference: string; amount: number }, report) => {
      const payment = await payments.authorize(input);
      if (payment.via) report.via(payment.via);
      return payment;
    }),
    capturePayment: asStep(async (input: { key: string }, report) => {
      const payment = await payments.capture(input);
      if (payment.via) report.via(payment.via);
      return payment;
    }),
    /** Undoes authorizePayment: voids, or refunds what was captured. */
    voidPayment: asStep((input: { key: string }) => payments.voidPayment(input)),
  };
}
