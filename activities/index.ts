import type { ParkingService } from '../domains/parking';
import type { PlateService } from '../domains/plates';
import type { CircuitBreaker } from '../resilience';
import { createParkingActivities } from './parking';
import { createPlateActivities } from './plates';

export interface ActivityDeps {
  parking: ParkingService;
  plates: PlateService;
  /** Guards the project database for steps that ask for a breaker. */
  databaseBreaker: CircuitBreaker;
}

/** Builds every activity the workers register, from the domain services they call. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlateActivities(deps.plates),
    ...createParkingActivities(deps.parking, deps.databaseBreaker),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { AllocateSpaceInput, ReleaseVehicleInput } from './parking';
export type { CreateEntryRecordInput, CreateExitRecordInput, VerifyPlateInput } from './plates';
