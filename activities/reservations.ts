import type { ParkingService } from '../domains/parking';
import type { PaymentService } from '../domains/payments';
import type { NewReservation, ReservationService } from '../domains/reservations';
import { parseStepKey } from '../workflows/contracts/saga';
import type { StepFallbacks } from '../shared/saga-contract';
import { asStep } from './as-step';
import type { StepAnswers } from '../domains/fences';
import type { Fencing } from './fencing';
import { asTheStepSays } from './payments';

/** A reservation the entry saga can use: its hold, and the saga to tell when the car arrives. */
export interface ReservationForEntry {
  reservationId: string;
  holdKey: string;
  /** The reservation saga's id: reservation keys are `<sagaId>/<step>`. */
  sagaId: string;
}

/** Reservation steps: the reservation record and the space held for it, fenced (see ./fencing). */
export function createReservationActivities(
  reservations: ReservationService,
  parking: ParkingService,
  payments: PaymentService,
  fencing: Fencing,
  answers: StepAnswers,
) {
  const cancelReservation = (key: string, reason: string) => fencing.undo(key, () => reservations.cancelReservationByKey(key, reason));
  return {
    /**
     * Undoes the reservation's payments as the cancellation policy says: the fee the driver's
     * cancellation recorded is kept, the rest refunded (all of it when the driver did not cancel,
     * e.g. a failed booking or an operator's cancellation); what was refunded in all is recorded.
     * Fenced like voidPayment, by the authorization's key. A changed reservation has more payments
     * (the differences its changes charged) and payments its changes refunded in part: each is
     * undone too (what is left of it), fenced by its own key; what changes refunded already is not
     * refunded again, and what is still held counts towards the fee.
     */
    refundReservation: asStep((input: { key: string; reservationId: string; fallbacks?: StepFallbacks }) =>
      fencing.undo(input.key, async () => {
        const reservation = await reservations.loadReservation(input.reservationId);
        const others = (await payments.listPayments({ purpose: 'reservation', reference: input.reservationId })).filter((p) => p.key !== input.key);
        let keep = reservation.cancellationFee ?? 0;
        let refunded = 0;
        let kept = 0;
        for (const key of [input.key, ...others.map((p) => p.key)]) {
          const undo = () => asTheStepSays(input.fallbacks, () => payments.voidPayment({ key, keep }));
          const payment = key === input.key ? await undo() : await fencing.undo(key, undo);
          const back = payment?.status === 'REFUNDED' ? payment.refundedAmount : 0;
          const held = (payment?.status === 'REFUNDED' || payment?.status === 'CAPTURED' ? payment.amount : 0) - back;
          refunded += back;
          kept += held;
          keep = Math.max(0, keep - held);
        }
        await reservations.recordRefund(input.reservationId, refunded);
        return { refunded, kept };
      }),
    ),
    createReservation: asStep((input: NewReservation) =>
      fencing.forward(input.key, () => reservations.createReservation(input), () => reservations.cancelReservationByKey(input.key, 'COMPENSATED')),
    ),
    cancelReservation: asStep((input: { key: string; reason: string }) => cancelReservation(input.key, input.reason)),
    holdSpace: asStep((input: { key: string; lotId: string; plate: string }) =>
      fencing.forward(input.key, () => parking.holdSpace(input), () => parking.releaseHold(input.key)),
    ),
    /**
     * Undoes holdSpace. Given the reservation's key, it cancels the reservation first: an
     * arriving car's rollback (returnToHold) then sees it is no longer COMPLETED and does not
     * hold the space again for it.
     */
    releaseHold: asStep(async (input: { key: string; reservationKey?: string; reason?: string }) => {
      if (input.reservationKey) await cancelReservation(input.reservationKey, input.reason ?? 'COMPENSATED');
      await fencing.undo(input.key, () => parking.releaseHold(input.key));
    }),
    completeReservation: asStep((input: { reservationId: string; spaceId: string; holdKey: string }) =>
      reservations.setReservationStatus(input.reservationId, 'COMPLETED', { spaceId: input.spaceId, holdKey: input.holdKey }),
    ),
    markReservationUsed: asStep((input: { reservationId: string }) => reservations.setReservationStatus(input.reservationId, 'USED')),
    /**
     * The end time passed without the car: the space goes back to the lot. EXPIRED first, so that
     * an arriving car's rollback racing with it (returnToHold) sees it and frees the space too.
     */
    expireReservation: asStep(async (input: { reservationId: string; holdKey: string }) => {
      const expired = await reservations.setReservationStatus(input.reservationId, 'EXPIRED', { reason: 'NO_SHOW' });
      await parking.releaseHold(input.holdKey);
      return expired;
    }),
    /**
     * With its step's key, a rerun answers as the first run did (see StepAnswers): a reservation
     * that expired meanwhile does not send the entry down the other path, away from the space
     * the first run already took.
     */
    findReservationForEntry: asStep(async (input: { lotId: string; plate: string; key?: string }): Promise<ReservationForEntry | null> => {
      return answers.remember(input.key, async () => {
        const reservation = await reservations.findActiveReservation(input.lotId, input.plate);
        if (!reservation?.holdKey) return null;
        return { reservationId: reservation.id, holdKey: reservation.holdKey, sagaId: parseStepKey(reservation.key)!.sagaId };
      });
    }),
    /** Given the reservation, the car takes the hold its record names now (see parking.occupyHeldSpace). */
    occupyHeldSpace: asStep((input: { key: string; holdKey: string; lotId: string; plate: string; reservationId?: string }) =>
      fencing.forward(input.key, () => parking.occupyHeldSpace(input), () => parking.returnToHold(input)),
    ),
    /**
     * Undoes occupyHeldSpace: the space is held again for the reservation, unless the reservation
     * has ended (expired or cancelled meanwhile): then it is released to the lot.
     */
    returnToHold: asStep(async (input: { key: string; holdKey: string; reservationId?: string }) => {
      const holdKey = (await fencing.undo(input.key, () => parking.returnToHold(input))) ?? input.holdKey;
      if (!input.reservationId) return;
      const reservation = await reservations.loadReservation(input.reservationId);
      if (reservation.status !== 'COMPLETED') await parking.releaseHold(holdKey);
    }),
  };
}
