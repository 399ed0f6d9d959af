import type { ParkingService } from '../domains/parking';
import type { PlateService } from '../domains/plates';
import { createParkingActivities } from './parking';
import { createPlateActivities } from './plates';

export interface ActivityDeps {
  parking: ParkingService;
  plates: PlateService;
}

/** Builds every activity the workers register, from the domain services they call. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createPlateActivities(deps.plates),
    ...createParkingActivities(deps.parking),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { AllocateSpaceInput, ReleaseVehicleInput } from './parking';
export type { CreateEntryRecordInput, CreateExitRecordInput } from './plates';
