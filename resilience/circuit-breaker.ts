/**
 * A circuit breaker with Resilience4j semantics over a count-based sliding window.
 *
 *   CLOSED ──(failure rate >= threshold, once minimumNumberOfCalls are in the window)──▶ OPEN
 *   OPEN ──(waitDurationInOpenState elapsed, checked on the next use)──▶ HALF_OPEN
 *   HALF_OPEN ──(every permitted trial call succeeded)──▶ CLOSED (window reset)
 *   HALF_OPEN ──(any trial call failed)──▶ OPEN
 *
 * The trip rule lives in `FailureRateRule` (sliding-window.ts); this class is only
 * the state machine. Outcomes of calls admitted under an earlier state (a slow call
 * that started while CLOSED and ends after the circuit opened) are ignored, so a
 * transition is only ever caused by calls the current state admitted.
 */
import { BrokenCircuitError } from './errors';
import type { CallContext } from './policy';
import { FailureRateRule, type FailureRateRuleOptions } from './sliding-window';

export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** The tunables, named as in Resilience4j (and in the external-services config). */
export interface CircuitBreakerOptions extends FailureRateRuleOptions {
  /** How long the circuit stays OPEN before admitting trial calls (ms). */
  waitDurationInOpenState: number;
  /** How many trial calls HALF_OPEN admits; all must succeed to close. */
  permittedNumberOfCallsInHalfOpenState: number;
}

export type StateChangeListener = (from: CircuitState, to: CircuitState, snapshot: CircuitBreakerSnapshot) => void;

export interface CircuitBreakerSettings extends CircuitBreakerOptions {
  /** The protected service, carried by BrokenCircuitError and the snapshot. */
  name: string;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /**
   * Whether an error counts as a failure. Errors for which it answers false count
   * as successes: the service answered (e.g. an HTTP 4xx). Default: every error is a failure.
   */
  isFailure?: (err: unknown) => boolean;
  /** Called on every transition. */
  onStateChange?: StateChangeListener;
  /** retryAfterMs reported when HALF_OPEN refuses a call because every trial slot is taken (default 1000). */
  halfOpenRetryAfterMs?: number;
}

/** What operators see. */
export interface CircuitBreakerSnapshot {
  name: string;
  state: CircuitState;
  /** Percent of failed calls in the window; null until minimumNumberOfCalls calls are in it. */
  failureRate: number | null;
  callsInWindow: number;
  failedCallsInWindow: number;
  /** Clock time the circuit last opened; null unless OPEN or HALF_OPEN. */
  openedAt: number | null;
  /** Time left until HALF_OPEN; 0 unless OPEN. */
  retryAfterMs: number;
  halfOpen: { permitted: number; admitted: number; succeeded: number };
}

interface Ticket {
  generation: number;
}

export class CircuitBreaker {
  readonly name: string;
  private readonly rule: FailureRateRule;
  private readonly now: () => number;
  private readonly isFailure: (err: unknown) => boolean;
  private readonly listeners = new Set<StateChangeListener>();
  private readonly waitMs: number;
  private readonly permittedInHalfOpen: number;
  private readonly halfOpenRetryAfterMs: number;

  private current: CircuitState = 'CLOSED';
  /** Bumped on every transition; outcomes from an older generation are ignored. */
  private generation = 0;
  private openedAt: number | null = null;
  private halfOpenAdmitted = 0;
  private halfOpenSucceeded = 0;

  constructor(settings: CircuitBreakerSettings) {
    const { waitDurationInOpenState, permittedNumberOfCallsInHalfOpenState } = settings;
    if (!(waitDurationInOpenState >= 0)) {
      throw new RangeError(`waitDurationInOpenState must be >= 0, got ${waitDurationInOpenState}`);
    }
    if (!Number.isInteger(permittedNumberOfCallsInHalfOpenState) || permittedNumberOfCallsInHalfOpenState < 1) {
      throw new RangeError(
        `permittedNumberOfCallsInHalfOpenState must be an integer >= 1, got ${permittedNumberOfCallsInHalfOpenState}`,
      );
    }
    this.name = settings.name;
    this.rule = new FailureRateRule(settings);
    this.now = settings.now ?? Date.now;
    this.isFailure = settings.isFailure ?? (() => true);
    this.waitMs = waitDurationInOpenState;
    this.permittedInHalfOpen = permittedNumberOfCallsInHalfOpenState;
    this.halfOpenRetryAfterMs = settings.halfOpenRetryAfterMs ?? 1000;
    if (settings.onStateChange) this.listeners.add(settings.onStateChange);
  }

  /** The current state (moves OPEN to HALF_OPEN when the wait is over). */
  get state(): CircuitState {
    this.refresh();
    return this.current;
  }

  /** Adds a transition listener; returns a function that removes it. */
  onStateChange(listener: StateChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs fn if the circuit admits the call, and records its outcome (a Policy).
   * Throws BrokenCircuitError without calling fn when it does not.
   */
  async execute<T, C extends CallContext = CallContext>(fn: (context: C) => Promise<T>, context: C = {} as C): Promise<T> {
    const ticket = this.admit();
    let value: T;
    try {
      value = await fn(context);
    } catch (err) {
      this.record(ticket, this.isFailure(err));
      throw err;
    }
    this.record(ticket, false);
    return value;
  }

  /** Forces the circuit CLOSED with an empty window (an operator's reset). */
  reset(): void {
    this.refresh();
    if (this.current !== 'CLOSED') this.transition('CLOSED');
    else this.rule.reset();
  }

  snapshot(): CircuitBreakerSnapshot {
    this.refresh();
    return this.snapshotWithoutRefresh();
  }

  private admit(): Ticket {
    this.refresh();
    if (this.current === 'OPEN') throw new BrokenCircuitError(this.name, this.remainingWait(), 'OPEN');
    if (this.current === 'HALF_OPEN') {
      if (this.halfOpenAdmitted >= this.permittedInHalfOpen) {
        throw new BrokenCircuitError(this.name, this.halfOpenRetryAfterMs, 'HALF_OPEN');
      }
      this.halfOpenAdmitted++;
    }
    return { generation: this.generation };
  }

  private record(ticket: Ticket, failed: boolean): void {
    if (ticket.generation !== this.generation) return;
    if (this.current === 'CLOSED') {
      if (this.rule.record(failed).tripped) this.transition('OPEN');
    } else if (this.current === 'HALF_OPEN') {
      if (failed) {
        this.transition('OPEN');
      } else if (++this.halfOpenSucceeded >= this.permittedInHalfOpen) {
        this.transition('CLOSED');
      }
    }
  }

  private remainingWait(): number {
    return Math.max(0, (this.openedAt ?? this.now()) + this.waitMs - this.now());
  }

  private refresh(): void {
    if (this.current === 'OPEN' && this.remainingWait() === 0) this.transition('HALF_OPEN');
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    this.current = to;
    this.generation++;
    this.halfOpenAdmitted = 0;
    this.halfOpenSucceeded = 0;
    if (to === 'OPEN') this.openedAt = this.now();
    if (to === 'CLOSED') {
      this.openedAt = null;
      this.rule.reset();
    }
    if (this.listeners.size === 0) return;
    const snapshot = this.snapshotWithoutRefresh();
    for (const listener of this.listeners) {
      try {
        listener(from, to, snapshot);
      } catch {
        // A listener must not break the call path.
      }
    }
  }

  private snapshotWithoutRefresh(): CircuitBreakerSnapshot {
    const evaluation = this.rule.evaluate();
    return {
      name: this.name,
      state: this.current,
      failureRate: evaluation.failureRate,
      callsInWindow: evaluation.calls,
      failedCallsInWindow: evaluation.failures,
      openedAt: this.openedAt,
      retryAfterMs: this.current === 'OPEN' ? this.remainingWait() : 0,
      halfOpen: { permitted: this.permittedInHalfOpen, admitted: this.halfOpenAdmitted, succeeded: this.halfOpenSucceeded },
    };
  }
}
