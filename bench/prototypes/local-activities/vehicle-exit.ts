// A copy of workflows/vehicle-exit.ts for the benchmark (npm run bench -- --local-activities): only `steps` differs.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../../../activities';
import { compensationStep, databaseStep } from '../../../workflows/policies';
import { Saga, type SagaState } from '../../../workflows/saga';

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

// PROTOTYPE (bench only): the forward steps run as local activities, same timeout and retry policy.
const steps = proxyLocalActivities<Activities>({ startToCloseTimeout: databaseStep.startToCloseTimeout!, retry: databaseStep.retry! });
const compensations = proxyActivities<Activities>(compensationStep);

/**
 * Vehicle exit: verify the plate → release the space → create the exit record.
 * If the exit record cannot be made, the release is undone: the car is still inside.
 * If the release itself keeps failing, the saga asks an operator (the car waits at the barrier).
 */
export async function vehicleExit(input: VehicleExitInput): Promise<SagaState<VehicleExitInput, VehicleExitResult>> {
  const saga = new Saga<VehicleExitInput, VehicleExitResult>({ type: 'VehicleExit', input, keys: { LotId: input.lotId } });

  return saga.run(async () => {
    const { plate } = await saga.step('verifyPlate', {
      run: (_key, fallbacks) => steps.verifyPlate({ plate: input.plate, fallbacks }),
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
