import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReservationView } from '../domains/reservations';
import type { ReservationChange } from './contracts';
import { compensationStep, databaseStep, paymentFallbacks, vendorStep } from './policies';
import { describeFailure } from './saga/failures';
import type { StepResult } from '../shared/saga-contract';

const steps = proxyActivities<Activities>(databaseStep);
const payments = proxyActivities<Activities>(vendorStep);
const compensations = proxyActivities<Activities>(compensationStep);

/** Where the reservation is, when, what it cost and the space held for it: what a change moves. */
export interface Booking {
  lotId: string;
  startsAt: string;
  endsAt: string;
  amount: number;
  spaceId: string;
  spaceNumber: number;
  holdKey: string;
}

/** What the changes need of the saga around them. */
export interface ChangeContext {
  reservationId: string;
  plate: string;
  /** The idempotency key of one of the saga's steps. */
  keyOf(step: string): string;
  /** Records an anomaly where operators look (the audit trail, a metric). */
  recordAnomaly(kind: string, detail: string): void;
  /**
   * Runs an undo of a change as the saga runs a compensation (Saga.undo): one that runs out of
   * retries puts the saga in NEEDS_ATTENTION until an operator retries or skips it. Absent in
   * sagas started before the patch `reservation-change-undo-attention`: such an undo is only
   * recorded as the anomaly CHANGE_UNDO_FAILED.
   */
  undo?(name: string, run: () => Promise<StepResult<unknown>>): Promise<boolean>;
}

/** An undo of one part of a change: the part's name (`change-<n>.<step>`) and the compensation that undoes it. */
interface Undo {
  step: string;
  run: () => Promise<StepResult<unknown>>;
}

/** Why an update is refused: its ApplicationFailure's type is the reason the API answers 409 with. */
export const refusal = (reason: string, message: string) => ApplicationFailure.create({ type: reason, message, nonRetryable: true });

/**
 * The changes of a booked reservation (its saga's changeReservation update), one at a time and
 * each all or nothing: hold the new space, charge the price difference, move the record, give
 * up the old hold; a step that fails undoes the ones before it, newest first, and the booking
 * stays as it was. A cheaper period's difference is refunded after that, when nothing can fail
 * the change any more (a refund cannot be taken back). Steps are keyed `change-<n>.<step>`.
 */
export class ReservationChanges {
  /** A change is running: another is refused, and the saga's wait holds still until it ends. */
  busy = false;
  /** Changes applied so far; the saga's wait starts again after one (the period may have moved). */
  applied = 0;
  private attempted = 0;

  constructor(
    private readonly saga: ChangeContext,
    public booking: Booking,
  ) {}

  async apply(change: ReservationChange): Promise<ReservationView> {
    this.busy = true;
    try {
      const n = ++this.attempted;
      const key = (step: string) => this.saga.keyOf(`change-${n}.${step}`);
      const before = this.booking;
      const difference = change.amount - before.amount;
      const reservation = await this.allOrNothing(async (undo) => {
        const holdKey = key('holdSpace');
        undo.push({ step: `change-${n}.holdSpace`, run: () => compensations.releaseHold({ key: holdKey }) });
        const hold = (await steps.holdSpace({ key: holdKey, lotId: change.lotId, plate: this.saga.plate })).value;
        if (difference > 0) {
          const chargeKey = key('chargeDifference');
          undo.push({ step: `change-${n}.chargeDifference`, run: () => compensations.voidPayment({ key: chargeKey, fallbacks: paymentFallbacks }) });
          await payments.chargeReservationDifference({ key: chargeKey, reservationId: this.saga.reservationId, amount: difference, fallbacks: paymentFallbacks });
        }
        const terms = (b: Pick<Booking, keyof Booking>) => ({ lotId: b.lotId, startsAt: b.startsAt, endsAt: b.endsAt, amount: b.amount, spaceId: b.spaceId, holdKey: b.holdKey });
        const after: Booking = { lotId: change.lotId, startsAt: change.startsAt, endsAt: change.endsAt, amount: change.amount, spaceId: hold.spaceId, spaceNumber: hold.spaceNumber, holdKey };
        const move = { key: key('moveReservation'), reservationId: this.saga.reservationId, from: terms(before), to: terms(after) };
        undo.push({ step: `change-${n}.moveReservation`, run: () => compensations.restoreReservation(move) });
        const moved = (await steps.moveReservation(move)).value;
        await steps.releaseReplacedHold({ holdKey: before.holdKey, spaceId: before.spaceId, plate: this.saga.plate });
        this.booking = after;
        return moved;
      });
      this.applied++;
      if (difference < 0) await this.refund(-difference, key('refundDifference'));
      return reservation;
    } finally {
      this.busy = false;
    }
  }

  /** Runs `body`; when it fails, runs what it pushed on `undo` newest first and throws the refusal. */
  private async allOrNothing<T>(body: (undo: Undo[]) => Promise<T>): Promise<T> {
    const undo: Undo[] = [];
    try {
      return await body(undo);
    } catch (err) {
      for (const { step, run } of undo.reverse()) {
        // Each undo retries as compensations do; one that still fails waits for an operator
        // (NEEDS_ATTENTION: retryCompensation or skipCompensation), as a failed compensation does.
        if (this.saga.undo) await this.saga.undo(step, run);
        else await run().catch((e: unknown) => this.saga.recordAnomaly('CHANGE_UNDO_FAILED', describeFailure(e).message));
      }
      const failure = describeFailure(err);
      throw refusal(failure.code ?? 'CHANGE_FAILED', failure.message);
    }
  }

  /** Gives back `amount` from the reservation's captured payments, as refunds keyed after `key`. */
  private async refund(amount: number, key: string): Promise<void> {
    try {
      const parts = (await steps.planReservationRefund({ reservationId: this.saga.reservationId, amount, key })).value;
      for (const part of parts) await compensations.refundPayment({ ...part, fallbacks: paymentFallbacks });
      const planned = parts.reduce((sum, part) => sum + part.amount, 0);
      if (planned < amount) this.saga.recordAnomaly('CHANGE_REFUND_SHORT', `${amount - planned} of the ${amount} to refund had no captured payment to come from`);
    } catch (err) {
      this.saga.recordAnomaly('CHANGE_REFUND_FAILED', describeFailure(err).message);
    }
  }
}
