import type { InventoryService, StockLine } from '../domains/inventory';
import type { OrderItem, OrderService } from '../domains/orders';
import { asStep } from './as-step';

/** Order steps: the order and its stock (its payment: ./payments). */
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
