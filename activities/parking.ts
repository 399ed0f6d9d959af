import type { ParkingService } from '../domains/parking';
import type { CircuitBreaker } from '../resilience';
import type { StepFallbacks } from '../shared/saga-contract';
import { asStep } from './as-step';
import type { Fencing } from './fencing';

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
 * Parking steps and their compensations, fenced (see ./fencing). `databaseBreaker` guards
 * the steps that ask for a circuit breaker: while the database keeps failing they fail fast.
 */
export function createParkingActivities(parking: ParkingService, databaseBreaker: CircuitBreaker, fencing: Fencing) {
  return {
    allocateSpace: asStep(({ fallbacks, ...input }: AllocateSpaceInput) => {
      const allocate = () => fencing.forward(input.key, () => parking.allocateSpace(input), () => parking.releaseAllocation(input.key));
      return fallbacks?.circuitBreaker ? databaseBreaker.execute(allocate) : allocate();
    }),
    releaseAllocation: asStep((input: { key: string }) => fencing.undo(input.key, () => parking.releaseAllocation(input.key))),
    releaseVehicle: asStep((input: ReleaseVehicleInput) =>
      fencing.forward(input.key, () => parking.releaseVehicle(input), () => parking.undoRelease(input.key)),
    ),
    undoRelease: asStep((input: { key: string }) => fencing.undo(input.key, () => parking.undoRelease(input.key))),
    vacateSpace: asStep((input: { stayId: string }) => parking.vacateSpace(input.stayId)),
    /** No compensation: the car was seen here, so its stays elsewhere are over whatever this entry becomes. */
    closeStaysElsewhere: asStep((input: { key: string; lotId: string; plate: string }) => parking.closeStaysElsewhere(input)),
  };
}
