import type { ParkingService } from '../domains/parking';
import type { NewReservation, ReservationService } from '../domains/reservations';
import { asStep } from './as-step';

/** A reservation the entry saga can use: its hold, and the saga to tell when the car arrives. */
export interface ReservationForEntry {
  reservationId: string;
  holdKey: string;
  /** The reservation saga's id: reservation keys are `<sagaId>/<step>`. */
  sagaId: string;
}

/** Reservation steps: the reservation record and the space held for it. */
export function createReservationActivities(reservations: ReservationService, parking: ParkingService) {
  return {
    createReservation: asStep((input: NewReservation) => reservations.createReservation(input)),
    cancelReservation: asStep((input: { key: string; reason: string }) => reservations.cancelReservationByKey(input.key, input.reason)),
    holdSpace: asStep((input: { key: string; lotId: string; plate: string }) => parking.holdSpace(input)),
    releaseHold: asStep((input: { key: string }) => parking.releaseHold(input.key)),
    completeReservation: asStep((input: { reservationId: string; spaceId: string; holdKey: string }) =>
      reservations.setReservationStatus(input.reservationId, 'COMPLETED', { spaceId: input.spaceId, holdKey: input.holdKey }),
    ),
    markReservationUsed: asStep((input: { reservationId: string }) => reservations.setReservationStatus(input.reservationId, 'USED')),
    /** The end time passed without the car: the space goes back to the lot. */
    expireReservation: asStep(async (input: { reservationId: string; holdKey: string }) => {
      await parking.releaseHold(input.holdKey);
      return reservations.setReservationStatus(input.reservationId, 'EXPIRED', { reason: 'NO_SHOW' });
    }),
    findReservationForEntry: asStep(async (input: { lotId: string; plate: string }): Promise<ReservationForEntry | null> => {
      const reservation = await reservations.findActiveReservation(input.lotId, input.plate);
      if (!reservation?.holdKey) return null;
      return { reservationId: reservation.id, holdKey: reservation.holdKey, sagaId: reservation.key.split('/')[0]! };
    }),
    occupyHeldSpace: asStep((input: { key: string; holdKey: string; lotId: string; plate: string }) => parking.occupyHeldSpace(input)),
    returnToHold: asStep((input: { key: string; holdKey: string }) => parking.returnToHold(input)),
  };
}
