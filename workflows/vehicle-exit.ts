import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { databaseSteps } from './database-steps';
import { compensationStep, databaseStep } from './policies';
import { Saga, type SagaState } from './saga';

export interface VehicleExitInput {
  lotId: string;
  plate: string;
}

export interface VehicleExitResult {
  plate: string;
  lotId: string;
  spaceId: string;
  stayId: string;
  exitRecordId: string;
  durationSeconds: number;
}

// The plate check calls the ANPR vendor, which may be slow: an ordinary activity, so that the
// saga answers queries and updates meanwhile (a local step holds its workflow task).
const plateChecks = proxyActivities<Activities>(databaseStep);
const compensations = proxyActivities<Activities>(compensationStep);

/**
 * Vehicle exit: verify the plate → release the space → create the exit record.
 * If the exit record cannot be made, the release is undone: the car is still inside.
 * If the release itself keeps failing, the saga asks an operator (the car waits at the barrier).
 */
export async function vehicleExit(input: VehicleExitInput): Promise<SagaState<VehicleExitInput, VehicleExitResult>> {
  const saga = new Saga<VehicleExitInput, VehicleExitResult>({ type: 'VehicleExit', input, keys: { LotId: input.lotId } });

  const steps = databaseSteps();
  return saga.run(async () => {
    const { plate } = await saga.step('verifyPlate', {
      run: (_key, fallbacks) => plateChecks.verifyPlate({ plate: input.plate, fallbacks }),
      fallbacks: { cacheFallback: true, alternativeServices: true },
    });
    saga.setKeys({ Plate: plate });

    const release = await saga.step('releaseSpace', {
      run: (key) => steps.releaseVehicle({ key, lotId: input.lotId, plate }),
      compensate: (key) => compensations.undoRelease({ key }),
      compensateFirst: true,
      // The car waits at the exit barrier: an operator decides (retryStep or compensate).
      onExhausted: 'askOperator',
    });

    const record = await saga.step('createExitRecord', {
      run: (key) =>
        steps.createExitRecord({ key, plate, lotId: input.lotId, enteredAt: release.enteredAt, exitedAt: release.releasedAt }),
      compensate: (key) => compensations.cancelExitRecord({ key }),
      compensateFirst: true,
    });

    return {
      plate,
      lotId: input.lotId,
      spaceId: release.spaceId,
      stayId: release.stayId,
      exitRecordId: record.id,
      durationSeconds: record.durationSeconds,
    };
  });
}
