/**
 * Fair baselines: for each saga workload, the engine running the same number and kinds of
 * steps as the saga, doing nothing else (bench/baseline-workflow.ts, `baselineSteps`). A
 * `local` step is a no-op local activity, an `activity` a no-op ordinary activity, a `vendor`
 * step an ordinary activity that makes one HTTP round trip to a simulator that answers at
 * once (its /health). So a saga's ratio to its fair baseline is the platform's own cost (saga
 * kit, database, resilience layer, API) against the engine's cost of the same shape.
 *
 * Each plan follows its saga's steps in workflows/ as they run on the happy path; change it
 * with the saga.
 */
export type FairStep = 'local' | 'activity' | 'vendor';

export interface FairPlan {
  /** The saga type it stands for (the type column of its records). */
  type: string;
  steps: FairStep[];
  /** After its answer the workflow stays open this long, on a timer (a reservation waits for its car). */
  holdMs?: number;
}

export const FAIR_PLANS = {
  /** verifyPlate (ANPR) → closeStaysElsewhere, findReservation, allocateSpace, createEntryRecord (local steps). */
  entry: { type: 'FairVehicleEntry', steps: ['vendor', 'local', 'local', 'local', 'local'] },
  /** verifyPlate (ANPR) → releaseSpace, createExitRecord, vacateSpace (local steps). */
  exit: { type: 'FairVehicleExit', steps: ['vendor', 'local', 'local', 'local'] },
  /** createOrder, reserveStock (local steps) → authorizePayment, capturePayment (gateway) → confirmOrder (local step). */
  order: { type: 'FairOrder', steps: ['local', 'local', 'vendor', 'vendor', 'local'] },
  /**
   * checkPlate, createReservation, holdSpace (local steps) → authorizePayment, capturePayment
   * (gateway) → completeReservation (local step); answered, then waiting for the car until the
   * end (RESERVATION_HOLD_MS).
   */
  reservation: { type: 'FairReservation', steps: ['local', 'local', 'local', 'vendor', 'vendor', 'local'], holdMs: 3_600_000 },
} as const satisfies Record<string, FairPlan>;

/** How long a bench reservation lasts from now: its saga waits that long for the car. */
export const RESERVATION_HOLD_MS = FAIR_PLANS.reservation.holdMs;
