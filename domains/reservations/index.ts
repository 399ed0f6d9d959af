export {
  createReservationService,
  type NewReservation,
  type ReservationService,
  type ReservationStatus,
  type ReservationView,
  type VehicleView,
} from './reservation-service';
