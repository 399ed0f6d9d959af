export {
  createReservationService,
  type NewReservation,
  type ReservationService,
  type ReservationStatus,
  type ReservationView,
  type VehicleView,
} from './reservation-service';
export { DEFAULT_RESERVATION_POLICY, cancellationFee, checkPeriod, priceOf, type ReservationPolicy } from './reservation-policy';
export type { ReservationMove, ReservationTerms } from './reservation-change';
