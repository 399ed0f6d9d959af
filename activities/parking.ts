import type { ParkingService } from '../domains/parking';
import type { CircuitBreaker } from '../resilience';
import type { StepFallbacks } from '../shared/saga-contract';
import { asStep } from './as-step';

export interface AllocateSpaceInput {
  key: string;
  lotId: string;
  plate: string;
  fallbacks?: StepFallbacks;
}

export interface ReleaseVehicleInput {
  key: string;
  lotId: string;
  plate: string;
  /** Keep the space taken until vacateSpace (see ParkingService.releaseVehicle). */
  keepSpace?: boolean;
}

/**
 * Parking steps and their compensations. `databaseBreaker` guards the steps that ask
 * for a circuit breaker: while the database keeps failing they fail fast.
 */
export function createParkingActivities(parking: ParkingService, databaseBreaker: CircuitBreaker) {
  return {
    allocateSpace: asStep(({ fallbacks, ...input }: AllocateSpaceInput) =>
      fallbacks?.circuitBreaker ? databaseBreaker.execute(() => parking.allocateSpace(input)) : parking.allocateSpace(input),
    ),
    releaseAllocation: asStep((input: { key: string }) => parking.releaseAllocation(input.key)),
    releaseVehicle: asStep((input: ReleaseVehicleInput) => parking.releaseVehicle(input)),
    undoRelease: asStep((input: { key: string }) => parking.undoRelease(input.key)),
    vacateSpace: asStep((input: { stayId: string }) => parking.vacateSpace(input.stayId)),
  };
}
