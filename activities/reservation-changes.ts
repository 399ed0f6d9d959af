import { BusinessRejection } from '../domains/errors';
import type { ParkingService } from '../domains/parking';
import type { PaymentService } from '../domains/payments';
import type { ReservationMove, ReservationService } from '../domains/reservations';
import type { StepFallbacks } from '../shared/saga-contract';
import { asStep } from './as-step';
import type { Fencing } from './fencing';
import { asTheStepSays } from './payments';

/** A part of a refund: how much goes back from the payment made under `key`, as the refund `refundKey`. */
export interface RefundPart {
  key: string;
  amount: number;
  /** The refund's own idempotency key (a payment may be refunded in part several times); absent in plans made before. */
  refundKey?: string;
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
     * Which payments of the reservation give back `amount`: what is left of captured ones, newest
     * first. Each part is a refund of its own, keyed `<key>#<n>` (`key`: the change's refund step,
     * so stable across retries and distinct per change). A read: the saga records its answer, and
     * refunds the parts by their keys (idempotent).
     */
    planReservationRefund: asStep(async (input: { reservationId: string; amount: number; key?: string }): Promise<RefundPart[]> => {
      const all = await payments.listPayments({ purpose: 'reservation', reference: input.reservationId });
      // Without a key (a plan asked for before refunds had keys of their own), a payment is refunded once.
      const refundable = all.filter((p) => p.status === 'CAPTURED' || (input.key !== undefined && p.status === 'REFUNDED')).reverse();
      const parts: RefundPart[] = [];
      let left = input.amount;
      for (const payment of refundable) {
        if (left <= 0) break;
        const amount = Math.min(left, payment.amount - payment.refundedAmount);
        if (amount <= 0) continue;
        parts.push({ key: payment.key, amount, ...(input.key !== undefined && { refundKey: `${input.key}#${parts.length + 1}` }) });
        left -= amount;
      }
      return parts;
    }),
    refundPayment: asStep(({ fallbacks, ...input }: RefundPart & { fallbacks?: StepFallbacks }) => asTheStepSays(fallbacks, () => payments.refund(input))),
  };
}
