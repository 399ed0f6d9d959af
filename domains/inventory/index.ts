export {
  createInventoryService,
  normaliseLines,
  type InventoryService,
  type MovementStatus,
  type ProductDirectory,
  type StockLine,
  type StockReservationStatus,
  type StockReservationView,
  type StockView,
} from './inventory-service';
