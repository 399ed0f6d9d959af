import { BusinessRejection } from '../errors';

/**
 * What a driver may book, and what cancelling costs. The defaults are what a parking operator
 * would choose: a day at most, a month ahead at most, three bookings in hand at once, free
 * cancellation until an hour before the start and half the price after that.
 */
export interface ReservationPolicy {
  /** Longest reservation, in hours. */
  maxHours: number;
  /** Latest start, in days from now. */
  maxDaysAhead: number;
  /** Reservations a user may hold at once (being paid, or paid and not ended). */
  maxActivePerUser: number;
  /** Cancelling at least this many minutes before the start is free. */
  freeCancelMinutes: number;
  /** Share of the price kept when cancelling later than that (0–100). */
  cancelFeePercent: number;
}

export const DEFAULT_RESERVATION_POLICY: ReservationPolicy = {
  maxHours: 24,
  maxDaysAhead: 30,
  maxActivePerUser: 3,
  freeCancelMinutes: 60,
  cancelFeePercent: 50,
};

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Refuses a period outside the policy, naming the field (the API answers 400):
 * INVALID_PERIOD and RESERVATION_TOO_LONG (endsAt), PERIOD_IN_PAST (endsAt; not with `pastOk`), STARTS_TOO_LATE (startsAt).
 */
export function checkPeriod(policy: ReservationPolicy, startsAt: Date, endsAt: Date, now: Date, { pastOk = false } = {}): void {
  if (Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime()) || startsAt >= endsAt) {
    throw new BusinessRejection('INVALID_PERIOD', 'a reservation needs startsAt before endsAt');
  }
  if (!pastOk && endsAt.getTime() <= now.getTime()) throw new BusinessRejection('PERIOD_IN_PAST', 'the reservation ends in the past');
  if (endsAt.getTime() - startsAt.getTime() > policy.maxHours * HOUR_MS) {
    throw new BusinessRejection('RESERVATION_TOO_LONG', `a reservation lasts at most ${policy.maxHours} h`);
  }
  if (startsAt.getTime() - now.getTime() > policy.maxDaysAhead * DAY_MS) {
    throw new BusinessRejection('STARTS_TOO_LATE', `a reservation starts at most ${policy.maxDaysAhead} days ahead`);
  }
}

/** The price of a period at a lot's tariff: every started hour at the full hourly rate. */
export function priceOf(tariffPerHour: number, startsAt: Date, endsAt: Date): number {
  return tariffPerHour * Math.ceil((endsAt.getTime() - startsAt.getTime()) / HOUR_MS);
}

/** What cancelling at `at` costs: nothing up to freeCancelMinutes before the start, the fee share after. */
export function cancellationFee(policy: ReservationPolicy, amount: number, startsAt: Date, at: Date): number {
  if (startsAt.getTime() - at.getTime() >= policy.freeCancelMinutes * 60_000) return 0;
  return Math.min(amount, Math.ceil((amount * policy.cancelFeePercent) / 100));
}
