import type { InventoryService, StockLine } from '../domains/inventory';
import type { OrderItem, OrderService } from '../domains/orders';
import { asStep } from './as-step';
import type { Fencing } from './fencing';

/** Order steps: the order and its stock (its payment: ./payments), fenced (see ./fencing). */
export function createOrderActivities(orders: OrderService, inventory: InventoryService, fencing: Fencing) {
  return {
    createOrder: asStep((input: { key: string; userId: string; items: OrderItem[] }) =>
      fencing.forward(input.key, () => orders.createOrder(input), () => orders.undoCreateOrder(input.key, 'COMPENSATED')),
    ),
    undoCreateOrder: asStep((input: { key: string; reason: string }) => fencing.undo(input.key, () => orders.undoCreateOrder(input.key, input.reason))),
    reserveStock: asStep((input: { key: string; orderId: string; lines: StockLine[] }) =>
      fencing.forward(input.key, () => inventory.reserveStock(input), () => inventory.releaseStock(input.key)),
    ),
    releaseStock: asStep((input: { key: string }) => fencing.undo(input.key, () => inventory.releaseStock(input.key))),
    /** The order is paid: its reserved stock is sold and the order CONFIRMED. */
    confirmOrder: asStep(async (input: { orderId: string; stockKey: string }) => {
      await inventory.commitStock(input.stockKey);
      return orders.confirmOrder(input.orderId);
    }),
  };
}
