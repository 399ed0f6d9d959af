import type { Domains } from '../domains';
import type { CircuitBreaker } from '../resilience';
import { createFencing } from './fencing';
import { createOrderActivities } from './orders';
import { createParkingActivities } from './parking';
import { createPaymentActivities } from './payments';
import { createPlateActivities } from './plates';
import { createReservationChangeActivities } from './reservation-changes';
import { createReservationActivities } from './reservations';
import { createSagaEventActivities } from './saga-events';

export type ActivityDeps = Pick<Domains, 'fences' | 'answers' | 'parking' | 'plates' | 'reservations' | 'orders' | 'inventory' | 'payments' | 'sagaEvents'> & {
  /** Guards the project database for steps that ask for a breaker. */
  databaseBreaker: CircuitBreaker;
};

/** Builds every activity the workers register, from the domain services they call. */
export function createActivities(deps: ActivityDeps) {
  const fencing = createFencing(deps.fences);
  return {
    ...createPlateActivities(deps.plates, fencing, deps.answers),
    ...createParkingActivities(deps.parking, deps.databaseBreaker, fencing),
    ...createReservationActivities(deps.reservations, deps.parking, deps.payments, fencing, deps.answers),
    ...createReservationChangeActivities(deps.reservations, deps.parking, deps.payments, fencing),
    ...createOrderActivities(deps.orders, deps.inventory, fencing),
    ...createPaymentActivities(deps.payments, fencing),
    ...createSagaEventActivities(deps.sagaEvents),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { AllocateSpaceInput, ReleaseVehicleInput } from './parking';
export type { CreateEntryRecordInput, CreateExitRecordInput, VerifyPlateInput } from './plates';
export type { ReservationForEntry } from './reservations';
export type { RefundPart } from './reservation-changes';
