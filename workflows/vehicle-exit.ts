import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { databaseSteps } from './database-steps';
import { verifyPlateStep } from './plate-steps';
import { compensationStep, databaseStep } from './policies';
import { vehicleExitContract as contract, type SagaInput, type SagaResult } from './contracts';
import { Saga, type SagaState } from './saga';

export type VehicleExitInput = SagaInput<typeof contract>;
export type VehicleExitResult = SagaResult<typeof contract>;

const compensations = proxyActivities<Activities>(compensationStep);

/**
 * Vehicle exit: verify the plate → end the stay → create the exit record → free the space.
 * If the exit record cannot be made, the stay is resumed: the car is still inside.
 * If ending the stay keeps failing, the saga asks an operator (the car waits at the barrier).
 *
 * The space is freed last (patch `exit-frees-space-last`): freed earlier, another car could
 * take it before the exit record fails, and the car still inside would have no space to go
 * back to (the soak found that compensation stuck in NEEDS_ATTENTION on a full lot).
 */
export async function vehicleExit(input: VehicleExitInput): Promise<SagaState<VehicleExitInput, VehicleExitResult>> {
  // Patch `exit-fewer-markers`, asked first: a saga with it has every patch before it, without
  // asking (three markers and three upserts fewer), and does not upsert the search attributes the
  // API set at the start. Sagas started before ask each patch where they did.
  const current = patched('exit-fewer-markers');
  const saga = new Saga<VehicleExitInput, VehicleExitResult>({
    type: contract.type,
    input,
    keys: contract.keys(input),
    ...(current && { attentionEvents: true, searchAttributesFromStart: true }),
  });

  const steps = databaseSteps(databaseStep, current || patched('local-database-steps'));
  const freeSpaceLast = current || patched('exit-frees-space-last');
  return saga.run(async () => {
    const plate = await verifyPlateStep(saga, input.plate);

    const release = await saga.step('releaseSpace', {
      run: (key) => steps.releaseVehicle({ key, lotId: input.lotId, plate, keepSpace: freeSpaceLast }),
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

    if (freeSpaceLast) {
      await saga.step('vacateSpace', {
        run: () => steps.vacateSpace({ stayId: release.stayId }),
        // The car is gone and its exit on record: an operator decides rather than an undo.
        onExhausted: 'askOperator',
      });
    }

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
