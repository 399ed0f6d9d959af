import { getExternalWorkflowHandle, log, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { databaseSteps } from './database-steps';
import { verifyPlateStep } from './plate-steps';
import { compensationStep, databaseStep, spaceAllocationStep } from './policies';
import { gatePassedSignal, vehicleArrivedSignal, vehicleEntryContract as contract, type SagaInput, type SagaResult } from './contracts';
import { Saga, type SagaState } from './saga';

export type VehicleEntryInput = SagaInput<typeof contract>;
export type VehicleEntryResult = SagaResult<typeof contract>;

const compensations = proxyActivities<Activities>(compensationStep);

/**
 * Vehicle entry: verify the plate → allocate a space → create the entry record
 * (→ wait at the gate when the lot asks for it). Rolls back in reverse on failure.
 */
export async function vehicleEntry(input: VehicleEntryInput): Promise<SagaState<VehicleEntryInput, VehicleEntryResult>> {
  // Patch `entry-fewer-markers`, asked first: a saga with it has every patch before it, without
  // asking (four markers and four upserts fewer), and does not upsert the search attributes the
  // API set at the start. Sagas started before ask each patch where they did.
  const current = patched('entry-fewer-markers');
  const saga = new Saga<VehicleEntryInput, VehicleEntryResult>({
    type: contract.type,
    input,
    keys: contract.keys(input),
    ...(current && { attentionEvents: true, searchAttributesFromStart: true }),
  });
  let gatePassed = false;
  setHandler(gatePassedSignal, (signal) => {
    const waiting = saga.state.awaiting.includes(gatePassedSignal.name);
    saga.recordAction(gatePassedSignal.name, signal, waiting);
    if (waiting) gatePassed = true;
  });

  const localSteps = current || patched('local-database-steps');
  const steps = databaseSteps(databaseStep, localSteps);
  const allocations = databaseSteps(spaceAllocationStep, localSteps); // seed 001's retries for this step
  return saga.run(async () => {
    const plate = await verifyPlateStep(saga, input.plate);

    // Asked before the first local step below: a patch asked after a local activity in the same
    // workflow task does not replay once that task was lost (a worker killed mid-task; the next
    // attempt records the markers): "Non-deprecated patch marker encountered" on every query.
    const closesStaysElsewhere = current || patched('entry-closes-stays-elsewhere');
    const usesReservations = current || patched('entry-uses-reservations');

    // One car in one place: seen here, it left any other lot unseen; those stays end now. (Patched in.)
    if (closesStaysElsewhere) {
      const closed = await saga.step('closeStaysElsewhere', { run: (key) => steps.closeStaysElsewhere({ key, lotId: input.lotId, plate }) });
      for (const stay of closed) {
        saga.recordAnomaly('EXIT_NOT_SEEN', `${plate} entered lot ${input.lotId} while inside lot ${stay.lotId} since ${stay.enteredAt}: that stay is closed and its space freed`);
      }
    }

    // A car with a paid reservation for this lot takes its held space. (Patched in: sagas
    // started before reservations existed replay without the lookup.)
    const reservation = usesReservations
      ? await saga.step('findReservation', { run: (key) => steps.findReservationForEntry({ key, lotId: input.lotId, plate }) })
      : null;

    const allocation = reservation
      ? await saga.step('occupyReservedSpace', {
          // With the reservation's id the car takes the hold in force when it gets there, even if a
          // change moved it since the lookup (an activity's input: no new command, no patch).
          run: (key) => steps.occupyHeldSpace({ key, holdKey: reservation.holdKey, reservationId: reservation.reservationId, lotId: input.lotId, plate }),
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
