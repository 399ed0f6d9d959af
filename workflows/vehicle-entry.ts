import { getExternalWorkflowHandle, log, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { databaseSteps } from './database-steps';
import { compensationStep, plateVerificationStep, spaceAllocationStep } from './policies';
import { gatePassedSignal, vehicleArrivedSignal, vehicleEntryContract as contract, type SagaInput, type SagaResult } from './contracts';
import { Saga, type SagaState } from './saga';

export type VehicleEntryInput = SagaInput<typeof contract>;
export type VehicleEntryResult = SagaResult<typeof contract>;

// The plate check calls the ANPR vendor, which may be slow: an ordinary activity, so that the
// saga answers queries and updates meanwhile (a local step holds its workflow task).
const plateChecks = proxyActivities<Activities>(plateVerificationStep);
const compensations = proxyActivities<Activities>(compensationStep);

/**
 * Vehicle entry: verify the plate → allocate a space → create the entry record
 * (→ wait at the gate when the lot asks for it). Rolls back in reverse on failure.
 */
export async function vehicleEntry(input: VehicleEntryInput): Promise<SagaState<VehicleEntryInput, VehicleEntryResult>> {
  const saga = new Saga<VehicleEntryInput, VehicleEntryResult>({ type: contract.type, input, keys: contract.keys(input) });
  let gatePassed = false;
  setHandler(gatePassedSignal, (signal) => {
    const waiting = saga.state.awaiting.includes(gatePassedSignal.name);
    saga.recordAction(gatePassedSignal.name, signal, waiting);
    if (waiting) gatePassed = true;
  });

  const steps = databaseSteps();
  const allocations = databaseSteps(spaceAllocationStep); // seed 001's retries for this step
  return saga.run(async () => {
    // As in seed 001: verification retries (2), falls back to the backup vendor, then to the cache.
    const { plate } = await saga.step('verifyPlate', {
      run: (_key, fallbacks) => plateChecks.verifyPlate({ plate: input.plate, fallbacks }),
      fallbacks: { cacheFallback: true, alternativeServices: true },
    });
    saga.setKeys({ Plate: plate });

    // A car with a paid reservation for this lot takes its held space. (Patched in: sagas
    // started before reservations existed replay without the lookup.)
    const reservation = patched('entry-uses-reservations')
      ? await saga.step('findReservation', { run: () => steps.findReservationForEntry({ lotId: input.lotId, plate }) })
      : null;

    const allocation = reservation
      ? await saga.step('occupyReservedSpace', {
          run: (key) => steps.occupyHeldSpace({ key, holdKey: reservation.holdKey, lotId: input.lotId, plate }),
          compensate: (key) => compensations.returnToHold({ key, holdKey: reservation.holdKey, reservationId: reservation.reservationId }),
          compensateFirst: true,
        })
      : await saga.step('allocateSpace', {
          run: (key, fallbacks) => allocations.allocateSpace({ key, lotId: input.lotId, plate, fallbacks }),
          compensate: (key) => compensations.releaseAllocation({ key }),
          compensateFirst: true,
          fallbacks: { circuitBreaker: true },
        });

    const record = await saga.step('createEntryRecord', {
      run: (key) => steps.createEntryRecord({ key, plate, lotId: input.lotId, spaceId: allocation.spaceId }),
      compensate: (key) => compensations.cancelEntryRecord({ key }),
      compensateFirst: true,
    });

    if (allocation.requireGateConfirmation) {
      const timeoutSeconds = allocation.gateTimeoutSeconds;
      const passed = await saga.waitFor(gatePassedSignal.name, () => gatePassed, timeoutSeconds * 1000);
      if (!passed) saga.abort('GATE_TIMEOUT', `the car did not pass the gate within ${timeoutSeconds} s`);
    }

    if (reservation) {
      // The reservation saga records its USE; if it has just ended (expired), the car keeps its space anyway.
      await getExternalWorkflowHandle(reservation.sagaId)
        .signal(vehicleArrivedSignal, { entrySagaId: saga.state.sagaId, stayId: allocation.stayId })
        .catch((err: unknown) => log.warn('could not tell the reservation saga', { reservationSagaId: reservation.sagaId, error: String(err) }));
    }

    return {
      plate,
      lotId: input.lotId,
      spaceId: allocation.spaceId,
      spaceNumber: allocation.spaceNumber,
      stayId: allocation.stayId,
      entryRecordId: record.id,
    };
  });
}
