export {
  createOrderService,
  normaliseItems,
  MAX_LINE_QUANTITY,
  MAX_ORDER_LINES,
  type OrderCatalog,
  type OrderEventOutbox,
  type OrderItem,
  type OrderLineView,
  type OrderService,
  type OrderStatus,
  type OrderView,
} from './order-service';
