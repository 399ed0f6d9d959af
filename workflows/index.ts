export { vehicleEntry, gatePassedSignal, type VehicleEntryInput, type VehicleEntryResult } from './vehicle-entry';
export { vehicleExit, type VehicleExitInput, type VehicleExitResult } from './vehicle-exit';
export { reservation, vehicleArrivedSignal, type ReservationInput, type ReservationResult, type VehicleArrival } from './reservation';
export { order, type OrderInput, type OrderResult } from './order';
