export {
  createParkingService,
  type ParkingService,
  type LotView,
  type NewLot,
  type Allocation,
  type Release,
  type ClosedStay,
} from './parking-service';
