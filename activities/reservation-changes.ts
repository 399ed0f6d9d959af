import { BusinessRejection } from '../domains/errors';
import type { ParkingService } from '../domains/parking';
import type { PaymentService } from '../domains/payments';
import type { ReservationMove, ReservationService } from '../domains/reservations';
import type { StepFallbacks } from '../shared/saga-contract';
import { asStep } from './as-step';
import type { Fencing } from './fencing';
import { asTheStepSays } from './payments';

/** A part of a refund: how much goes back from the payment made under `key`. */
export interface RefundPart {
  key: string;
  amount: number;
}

/**
 * The steps of a reservation change (the reservation saga's changeReservation update), fenced
 * like the booking's (see ./fencing): its new hold is parking.holdSpace under the change's key,
 * undone by releaseHold; its extra charge is undone by voidPayment.
 */
export function createReservationChangeActivities(reservations: ReservationService, parking: ParkingService, payments: PaymentService, fencing: Fencing) {
  return {
    /** Charges the price difference as a payment of its own (authorized and captured under `key`). */
    chargeReservationDifference: asStep(async ({ fallbacks, ...input }: { key: string; reservationId: string; amount: number; fallbacks?: StepFallbacks }, report) => {
      const payment = await asTheStepSays(fallbacks, () =>
        fencing.forward(
          input.key,
          async () => {
            await payments.authorize({ key: input.key, purpose: 'reservation', reference: input.reservationId, amount: input.amount });
            return payments.capture({ key: input.key });
          },
          () => payments.voidPayment({ key: input.key }),
        ),
      );
      if (payment.via) report.via(payment.via);
      return payment;
    }),
    /** Moves the reservation's record to its new terms; answers the reservation as GET /reservations/:id shows it. */
    moveReservation: asStep(async (move: ReservationMove) => {
      const id = await fencing.forward(move.key, () => reservations.moveReservation(move), () => reservations.restoreReservation(move));
      return reservations.loadReservation(id);
    }),
    restoreReservation: asStep((move: ReservationMove) => fencing.undo(move.key, () => reservations.restoreReservation(move))),
    /**
     * Gives up the hold the change replaced. The car may have taken it meanwhile (an entry that
     * found the reservation before it moved): then the change is too late, RESERVATION_IN_USE.
     * Released first, looked at after: an entry converting the hold later finds none.
     */
    releaseReplacedHold: asStep(async (input: { holdKey: string; spaceId: string; plate: string }) => {
      await parking.releaseHold(input.holdKey);
      if (await parking.isOccupiedBy(input.spaceId, input.plate)) {
        throw new BusinessRejection('RESERVATION_IN_USE', 'the car has taken its reserved space: the reservation can no longer be changed');
      }
    }),
    /**
     * Which payments of the reservation give back `amount`: captured ones, newest first (the
     * gateway refunds a payment once, so each part is one payment). A read: the saga records
     * its answer, and refunds the parts by their payments' keys (idempotent).
     */
    planReservationRefund: asStep(async (input: { reservationId: string; amount: number }): Promise<RefundPart[]> => {
      const captured = (await payments.listPayments({ purpose: 'reservation', reference: input.reservationId })).filter((p) => p.status === 'CAPTURED').reverse();
      const parts: RefundPart[] = [];
      let left = input.amount;
      for (const payment of captured) {
        if (left <= 0) break;
        const amount = Math.min(left, payment.amount);
        parts.push({ key: payment.key, amount });
        left -= amount;
      }
      return parts;
    }),
    refundPayment: asStep(({ fallbacks, ...input }: RefundPart & { fallbacks?: StepFallbacks }) => asTheStepSays(fallbacks, () => payments.refund(input))),
  };
}
