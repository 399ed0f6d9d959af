import type { Db } from '../../db/client';
import { lockReservationRow, reservationLockKey } from '../../db/row-lock';
import { BusinessRejection, NotFoundError } from '../errors';
import { checkPeriod, priceOf, type ReservationPolicy } from './reservation-policy';

/** What a change moves: where and when the reservation is, what it costs, and the space held for it. */
export interface ReservationTerms {
  lotId: string;
  startsAt: string;
  endsAt: string;
  amount: number;
  spaceId: string;
  holdKey: string;
}

/** One change of a reservation, from its terms to new ones, written under `key` (a step key). */
export interface ReservationMove {
  key: string;
  reservationId: string;
  from: ReservationTerms;
  to: ReservationTerms;
}

const termsData = (terms: ReservationTerms) => ({
  lotId: terms.lotId,
  startsAt: new Date(terms.startsAt),
  endsAt: new Date(terms.endsAt),
  amount: terms.amount,
  spaceId: terms.spaceId,
  holdKey: terms.holdKey,
});

/**
 * Changing a booked reservation's record. The hold key is the change's mark: a reservation
 * that carries the new hold key has moved (a retry answers it); one that still carries the old
 * one, COMPLETED, may move.
 */
export function createReservationChanges(db: Db, policy: ReservationPolicy, now: () => Date) {
  return {
    /**
     * Checks a reservation's new period before its saga is asked to change it, and prices it from
     * the lot's tariff (null: LOT_NOT_RESERVABLE) as a booking is: the period rules of checkPeriod
     * (400 naming the field), a period that has ended included.
     */
    quoteChange(request: { startsAt: string; endsAt: string; tariffPerHour: number | null }): { amount: number } {
      const startsAt = new Date(request.startsAt);
      const endsAt = new Date(request.endsAt);
      checkPeriod(policy, startsAt, endsAt, now());
      if (request.tariffPerHour === null) throw new BusinessRejection('LOT_NOT_RESERVABLE', 'this lot takes no reservations (it has no tariff)');
      return { amount: priceOf(request.tariffPerHour, startsAt, endsAt) };
    },

    /**
     * Moves the reservation to its new terms, once. NOT_CHANGEABLE when it is no longer COMPLETED
     * with the old hold (used, cancelled, expired, or changed by someone else); the period rules
     * of checkPeriod; PLATE_ALREADY_RESERVED when another reservation of the plate overlaps the new period.
     * Answers the reservation's id; the caller reads it back.
     */
    async moveReservation(move: ReservationMove): Promise<string> {
      // Under the reservation's lock, as an arriving car's look at its hold (parking.occupyHeldSpace):
      // the car takes the old hold before the move (and the move is refused) or the new one after it.
      return db.$transaction(async (tx) => {
        await lockReservationRow(tx, reservationLockKey(move.reservationId));
        const row = await tx.reservation.findUnique({ where: { id: move.reservationId } });
        if (!row) throw new NotFoundError(`reservation ${move.reservationId} does not exist`);
        if (row.holdKey === move.to.holdKey) return row.id;
        if (row.status !== 'COMPLETED' || row.holdKey !== move.from.holdKey) {
          throw new BusinessRejection('NOT_CHANGEABLE', `reservation ${row.id} is ${row.status}; it can no longer be changed`);
        }
        // The car is on the held space already (its saga has not told the reservation yet).
        if ((await tx.space.count({ where: { id: move.from.spaceId, status: 'OCCUPIED', plate: row.plate } })) > 0) {
          throw new BusinessRejection('RESERVATION_IN_USE', 'the car has taken its reserved space: the reservation can no longer be changed');
        }
        const startsAt = new Date(move.to.startsAt);
        const endsAt = new Date(move.to.endsAt);
        checkPeriod(policy, startsAt, endsAt, now());
        const overlapping = await tx.reservation.count({
          where: { plate: row.plate, id: { not: row.id }, status: { in: ['PENDING', 'COMPLETED'] }, startsAt: { lt: endsAt }, endsAt: { gt: startsAt } },
        });
        if (overlapping > 0) throw new BusinessRejection('PLATE_ALREADY_RESERVED', `${row.plate} already has a reservation in that period`);
        await tx.reservation.update({ where: { id: row.id }, data: termsData(move.to) });
        return row.id;
      });
    },

    /** Undoes moveReservation: the old terms again, if the reservation carries the new ones (whatever its status). */
    async restoreReservation(move: ReservationMove): Promise<void> {
      await db.reservation.updateMany({ where: { id: move.reservationId, holdKey: move.to.holdKey }, data: termsData(move.from) });
    },
  };
}
