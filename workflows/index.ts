export { vehicleEntry, type VehicleEntryInput, type VehicleEntryResult } from './vehicle-entry';
export { vehicleExit, type VehicleExitInput, type VehicleExitResult } from './vehicle-exit';
export { reservation, type ReservationInput, type ReservationResult } from './reservation';
export { order, type OrderInput, type OrderResult } from './order';
