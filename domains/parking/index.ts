export {
  createParkingService,
  type ParkingService,
  type LotView,
  type NewLot,
  type Allocation,
  type Release,
} from './parking-service';
