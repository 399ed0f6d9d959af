import { ApplicationFailure, condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { databaseSteps } from './database-steps';
import { compensationStep, databaseStep, paymentFallbacks, vendorStep } from './policies';
import { changeReservationUpdate, reservationContract as contract, vehicleArrivedSignal, type SagaInput, type SagaResult, type VehicleArrival } from './contracts';
import { ReservationChanges, refusal, type Booking, type ChangeContext } from './reservation-change';
import type { StepResult } from '../shared/saga-contract';
import { Saga, type SagaState } from './saga';

export type ReservationInput = SagaInput<typeof contract>;
export type ReservationResult = SagaResult<typeof contract>;

const payments = proxyActivities<Activities>(vendorStep);
const compensations = proxyActivities<Activities>(compensationStep);

/**
 * Parking reservation (seed 002 applied to parking): check the plate → record the reservation
 * → hold a space → charge the payment → COMPLETED. Then it waits, durably, for the car
 * (USED) or the end time (EXPIRED: the space is released; a no-show keeps the payment).
 * A compensate signal meanwhile cancels it: refund, release the space, CANCELLED. While it
 * waits, the changeReservation update moves it to another period or lot (./reservation-change).
 *
 * Patch `reservation-local-steps`: the database steps (checkPlate, createReservation, holdSpace,
 * completeReservation, and markUsed or expireReservation at the end) run as local activities, and
 * the search attributes the API set at the start, or a key set again to the value it has, are not
 * upserted, as in the order saga (`order-local-steps`). The payment steps call the gateway, which
 * may be slow: ordinary activities, so that the saga answers queries meanwhile; so do the
 * compensations and a change's steps. A saga with this patch also has the patches that came
 * before it (`reservation-change-undo-attention`, `reservation-cancellation-policy`,
 * `reservation-changes`, and the kit's `saga-attention-events`): it takes them without asking.
 * Two of them are asked after its local steps, where a patch must not be asked, and each patch
 * asked costs a marker and an upsert.
 */
export async function reservation(input: ReservationInput): Promise<SagaState<ReservationInput, ReservationResult>> {
  // Asked first, once: patches asked later in handlers or after local steps are easy to get wrong.
  const localSteps = patched('reservation-local-steps');
  const undoesNeedAttention = localSteps || patched('reservation-change-undo-attention');
  const saga = new Saga<ReservationInput, ReservationResult>({
    type: contract.type,
    input,
    keys: contract.keys(input),
    searchAttributesFromStart: localSteps,
    ...(localSteps && { attentionEvents: true }),
  });
  const steps = databaseSteps(databaseStep, localSteps);
  let arrival: VehicleArrival | undefined;
  setHandler(vehicleArrivedSignal, (signal) => {
    const waiting = saga.state.awaiting.includes(vehicleArrivedSignal.name);
    saga.recordAction(vehicleArrivedSignal.name, { by: signal.entrySagaId }, waiting);
    if (waiting) arrival = signal;
  });
  // Set once the booking is paid and the saga waits for the car (patched in: sagas booked before waited without it).
  let changes: ReservationChanges | undefined;
  setHandler(
    changeReservationUpdate,
    async (change) => {
      const asked = { by: change.by, reason: `${change.lotId} ${change.startsAt}/${change.endsAt}` };
      // A change that failed changed nothing: the audit trail shows it as not accepted, with why.
      const reservation = await changes!.apply(change).catch((err: unknown) => {
        saga.recordAction(changeReservationUpdate.name, { ...asked, reason: `${asked.reason}: ${err instanceof ApplicationFailure ? err.type : 'failed'}` }, false);
        throw err;
      });
      saga.recordAction(changeReservationUpdate.name, asked, true);
      const { holdKey: _holdKey, startsAt: _startsAt, endsAt: _endsAt, ...booking } = changes!.booking;
      saga.state.result = { ...saga.state.result!, ...booking };
      saga.setKeys({ LotId: booking.lotId });
      return reservation;
    },
    {
      // Refusals leave no trace in the history: they are decided here, before the update is accepted.
      validator: (_change) => {
        if (!changes || !saga.state.awaiting.includes(vehicleArrivedSignal.name) || arrival !== undefined) {
          throw refusal('NOT_CHANGEABLE', 'the reservation no longer waits for its car (used, cancelled or expired)');
        }
        if (changes.busy) throw refusal('CHANGE_IN_PROGRESS', 'another change of this reservation is in progress');
        if (Date.now() >= Date.parse(changes.booking.endsAt)) throw refusal('NOT_CHANGEABLE', 'the reservation has expired');
      },
    },
  );

  return saga.run(async () => {
    const { plate } = await saga.step('checkPlate', { run: (key) => steps.checkPlate({ key, plate: input.plate }) });
    saga.setKeys({ Plate: plate });

    const record = await saga.step('createReservation', {
      run: (key) => steps.createReservation({ key, ...input, plate }),
      compensate: (key, why) => compensations.cancelReservation({ key, reason: why.reason }),
      compensateFirst: true,
    });
    saga.setKeys({ ReservationId: record.id });

    const hold = await saga.step('holdSpace', {
      run: (key) => steps.holdSpace({ key, lotId: input.lotId, plate }),
      // The hold in force: a change moves it (before any change, the step's own key).
      compensate: (key, why) =>
        compensations.releaseHold({ key: changes?.booking.holdKey ?? key, reservationKey: saga.keyOf('createReservation'), reason: why.reason }),
      compensateFirst: true,
    });

    await saga.step('authorizePayment', {
      run: (key, fallbacks) => payments.authorizePayment({ key, fallbacks, purpose: 'reservation', reference: record.id, amount: input.amount }),
      // The refund follows the cancellation policy (a late cancellation keeps its fee). Patched in:
      // sagas that compensated before the policy existed replay with the full void.
      compensate: (key) =>
        localSteps || patched('reservation-cancellation-policy')
          ? compensations.refundReservation({ key, reservationId: record.id, fallbacks: paymentFallbacks })
          : compensations.voidPayment({ key, fallbacks: paymentFallbacks }),
      compensateFirst: true,
      fallbacks: paymentFallbacks,
    });
    await saga.step('capturePayment', {
      run: (_key, fallbacks) => payments.capturePayment({ key: saga.keyOf('authorizePayment'), fallbacks }),
      fallbacks: paymentFallbacks,
    });
    await saga.step('completeReservation', {
      run: () => steps.completeReservation({ reservationId: record.id, spaceId: hold.spaceId, holdKey: hold.holdKey }),
    });

    const booked: ReservationResult = {
      reservationId: record.id,
      lotId: input.lotId,
      plate,
      spaceId: hold.spaceId,
      spaceNumber: hold.spaceNumber,
      amount: input.amount,
      status: 'COMPLETED',
    };
    saga.complete(booked);

    if (!localSteps && !patched('reservation-changes')) {
      const untilEnd = Math.max(1, Date.parse(input.endsAt) - Date.now());
      if (await saga.waitFor(vehicleArrivedSignal.name, () => arrival !== undefined, untilEnd)) {
        await saga.step('markUsed', { run: () => steps.markReservationUsed({ reservationId: record.id }) });
        return { ...booked, status: 'USED' };
      }
      await saga.step('expireReservation', { run: () => steps.expireReservation({ reservationId: record.id, holdKey: hold.holdKey }) });
      return { ...booked, status: 'EXPIRED' };
    }

    const initial: Booking = { lotId: input.lotId, startsAt: input.startsAt, endsAt: input.endsAt, amount: input.amount, spaceId: hold.spaceId, spaceNumber: hold.spaceNumber, holdKey: hold.holdKey };
    const context: ChangeContext = {
      reservationId: record.id,
      plate,
      keyOf: (step) => saga.keyOf(step),
      recordAnomaly: (kind, detail) => saga.recordAnomaly(kind, detail),
      // A change's undo that runs out of retries waits for an operator, as a compensation does. (Patched in.)
      ...(undoesNeedAttention && { undo: (name: string, run: () => Promise<StepResult<unknown>>) => saga.undo(name, run) }),
    };
    const current = (changes = new ReservationChanges(context, initial));
    // Waits for the car or the end of the period; a change restarts the wait (its period may have moved).
    for (;;) {
      const applied = current.applied;
      const untilEnd = Math.max(1, Date.parse(current.booking.endsAt) - Date.now());
      const met = await saga.waitFor(vehicleArrivedSignal.name, () => arrival !== undefined || current.applied !== applied, untilEnd, () => current.busy);
      // The end came during a change: that change decides whether it is still the end.
      await condition(() => !current.busy);
      const { holdKey, startsAt: _startsAt, endsAt: _endsAt, ...booking } = current.booking;
      if (arrival !== undefined) {
        await saga.step('markUsed', { run: () => steps.markReservationUsed({ reservationId: record.id }) });
        return { ...booked, ...booking, status: 'USED' };
      }
      if (met || current.applied !== applied) continue;
      await saga.step('expireReservation', { run: () => steps.expireReservation({ reservationId: record.id, holdKey }) });
      return { ...booked, ...booking, status: 'EXPIRED' };
    }
  });
}
