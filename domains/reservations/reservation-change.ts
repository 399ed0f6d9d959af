import type { Db } from '../../db/client';
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
      const row = await db.reservation.findUnique({ where: { id: move.reservationId } });
      if (!row) throw new NotFoundError(`reservation ${move.reservationId} does not exist`);
      if (row.holdKey === move.to.holdKey) return row.id;
      if (row.status !== 'COMPLETED' || row.holdKey !== move.from.holdKey) {
        throw new BusinessRejection('NOT_CHANGEABLE', `reservation ${row.id} is ${row.status}; it can no longer be changed`);
      }
      const startsAt = new Date(move.to.startsAt);
      const endsAt = new Date(move.to.endsAt);
      checkPeriod(policy, startsAt, endsAt, now());
      const overlapping = await db.reservation.count({
        where: { plate: row.plate, id: { not: row.id }, status: { in: ['PENDING', 'COMPLETED'] }, startsAt: { lt: endsAt }, endsAt: { gt: startsAt } },
      });
      if (overlapping > 0) throw new BusinessRejection('PLATE_ALREADY_RESERVED', `${row.plate} already has a reservation in that period`);
      const { count } = await db.reservation.updateMany({
        where: { id: row.id, status: 'COMPLETED', holdKey: move.from.holdKey },
        data: termsData(move.to),
      });
      if (count === 1) return row.id;
      const current = await db.reservation.findUniqueOrThrow({ where: { id: row.id } });
      if (current.holdKey === move.to.holdKey) return row.id;
      throw new BusinessRejection('NOT_CHANGEABLE', `reservation ${row.id} is ${current.status}; it can no longer be changed`);
    },

    /** Undoes moveReservation: the old terms again, if the reservation carries the new ones (whatever its status). */
    async restoreReservation(move: ReservationMove): Promise<void> {
      await db.reservation.updateMany({ where: { id: move.reservationId, holdKey: move.to.holdKey }, data: termsData(move.from) });
    },
  };
}
