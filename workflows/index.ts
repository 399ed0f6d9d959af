export { vehicleEntry, gatePassedSignal, type VehicleEntryInput, type VehicleEntryResult } from './vehicle-entry';
export { vehicleExit, type VehicleExitInput, type VehicleExitResult } from './vehicle-exit';
