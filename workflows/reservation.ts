import { patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { compensationStep, databaseStep, paymentFallbacks, vendorStep } from './policies';
import { reservationContract as contract, vehicleArrivedSignal, type SagaInput, type SagaResult, type VehicleArrival } from './contracts';
import { Saga, type SagaState } from './saga';

export type ReservationInput = SagaInput<typeof contract>;
export type ReservationResult = SagaResult<typeof contract>;

const steps = proxyActivities<Activities>(databaseStep);
const payments = proxyActivities<Activities>(vendorStep);
const compensations = proxyActivities<Activities>(compensationStep);

/**
 * Parking reservation (seed 002 applied to parking): check the plate → record the reservation
 * → hold a space → charge the payment → COMPLETED. Then it waits, durably, for the car
 * (USED) or the end time (EXPIRED: the space is released; a no-show keeps the payment).
 * A compensate signal meanwhile cancels it: refund, release the space, CANCELLED.
 */
export async function reservation(input: ReservationInput): Promise<SagaState<ReservationInput, ReservationResult>> {
  const saga = new Saga<ReservationInput, ReservationResult>({ type: contract.type, input, keys: contract.keys(input) });
  let arrival: VehicleArrival | undefined;
  setHandler(vehicleArrivedSignal, (signal) => {
    const waiting = saga.state.awaiting.includes(vehicleArrivedSignal.name);
    saga.recordAction(vehicleArrivedSignal.name, { by: signal.entrySagaId }, waiting);
    if (waiting) arrival = signal;
  });

  return saga.run(async () => {
    const { plate } = await saga.step('checkPlate', { run: () => steps.checkPlate({ plate: input.plate }) });
    saga.setKeys({ Plate: plate });

    const record = await saga.step('createReservation', {
      run: (key) => steps.createReservation({ key, ...input, plate }),
      compensate: (key, why) => compensations.cancelReservation({ key, reason: why.reason }),
      compensateFirst: true,
    });
    saga.setKeys({ ReservationId: record.id });

    const hold = await saga.step('holdSpace', {
      run: (key) => steps.holdSpace({ key, lotId: input.lotId, plate }),
      compensate: (key, why) => compensations.releaseHold({ key, reservationKey: saga.keyOf('createReservation'), reason: why.reason }),
      compensateFirst: true,
    });

    await saga.step('authorizePayment', {
      run: (key, fallbacks) => payments.authorizePayment({ key, fallbacks, purpose: 'reservation', reference: record.id, amount: input.amount }),
      // The refund follows the cancellation policy (a late cancellation keeps its fee). Patched in:
      // sagas that compensated before the policy existed replay with the full void.
      compensate: (key) =>
        patched('reservation-cancellation-policy')
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

    const untilEnd = Math.max(1, Date.parse(input.endsAt) - Date.now());
    if (await saga.waitFor(vehicleArrivedSignal.name, () => arrival !== undefined, untilEnd)) {
      await saga.step('markUsed', { run: () => steps.markReservationUsed({ reservationId: record.id }) });
      return { ...booked, status: 'USED' };
    }
    await saga.step('expireReservation', { run: () => steps.expireReservation({ reservationId: record.id, holdKey: hold.holdKey }) });
    return { ...booked, status: 'EXPIRED' };
  });
}
