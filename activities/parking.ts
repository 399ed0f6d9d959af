import type { ParkingService } from '../domains/parking';
import { asStep } from './as-step';

export interface AllocateSpaceInput {
  key: string;
  lotId: string;
  plate: string;
}

export interface ReleaseVehicleInput {
  key: string;
  lotId: string;
  plate: string;
}

/** Parking steps and their compensations. */
export function createParkingActivities(parking: ParkingService) {
  return {
    allocateSpace: asStep((input: AllocateSpaceInput) => parking.allocateSpace(input)),
    releaseAllocation: asStep((input: { key: string }) => parking.releaseAllocation(input.key)),
    releaseVehicle: asStep((input: ReleaseVehicleInput) => parking.releaseVehicle(input)),
    undoRelease: asStep((input: { key: string }) => parking.undoRelease(input.key)),
  };
}
