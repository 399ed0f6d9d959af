import { defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { ReservationView } from '../../domains/reservations';
import { defineSaga, sagaSignal } from './define';

/** Parking reservation: check the plate, record it, hold a space, take the payment; then USED or EXPIRED. */
export const reservationContract = defineSaga({
  type: 'Reservation',
  workflowType: 'reservation',
  idPrefix: 'reservation',
  title: 'Reservation',
  description: 'Check the plate, record the reservation, hold a space, take the payment; then USED when the car comes, or EXPIRED.',
  facts: (input) => [input.plate, `lot ${input.lotId}`, `${input.startsAt} → ${input.endsAt}`],
  input: z.object({
    /** The booking user (from the caller's token, not from the body). */
    userId: z.string().min(1).max(100),
    lotId: z.string().min(1).max(100),
    plate: z.string().min(1).max(20),
    /** Whole currency units; the payment side declines under 300 (seed 002's rule). */
    amount: z.number().int().min(1).max(100_000_000),
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
  }),
  result: z.object({
    reservationId: z.string(),
    lotId: z.string(),
    plate: z.string(),
    spaceId: z.string(),
    spaceNumber: z.number(),
    amount: z.number(),
    /** COMPLETED: booked and paid, the space held; then USED (the car came) or EXPIRED (it did not). */
    status: z.enum(['COMPLETED', 'USED', 'EXPIRED']),
  }),
  keys: (input) => ({ LotId: input.lotId, UserId: input.userId }),
  signals: {
    /** The vehicle entry saga tells the reservation saga that the car took its held space. */
    vehicleArrived: { payload: z.object({ entrySagaId: z.string(), stayId: z.string() }), from: 'workflow', awaits: "the car's arrival" },
  },
  record: { key: 'ReservationId', field: 'reservationId', cancelledStatus: 'CANCELLED' },
});

export type VehicleArrival = z.infer<typeof reservationContract.signals.vehicleArrived.payload>;
export const vehicleArrivedSignal = sagaSignal(reservationContract, 'vehicleArrived');

/**
 * A change of a booked reservation (PATCH /reservations/:id), as the API sends it to the saga
 * after checking it: the new lot and period, and the price the lot's tariff gives them.
 */
export const reservationChange = z.object({
  lotId: z.string().min(1).max(100),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  amount: z.number().int().min(1).max(100_000_000),
  /** Who asked (the audit trail). */
  by: z.string().max(200).optional(),
});
export type ReservationChange = z.infer<typeof reservationChange>;

/**
 * Changes the booked reservation, all or nothing: hold the new space, move the payment by the
 * price difference, release the old hold. Its validator refuses (no history event) unless the
 * reservation waits for its car with no other change running; a refusal or a failed change
 * fails the update with an ApplicationFailure whose type is the reason (LOT_FULL, NOT_CHANGEABLE,
 * ...). Answers the changed reservation.
 */
export const changeReservationUpdate = defineUpdate<ReservationView, [ReservationChange]>('changeReservation');
