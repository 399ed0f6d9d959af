/**
 * The trip rule of the circuit breaker, kept apart from its state machine:
 * a count-based sliding window over the outcomes of the last N calls, and the
 * failure-rate rule evaluated over it (Resilience4j's COUNT_BASED window).
 */

/** The outcomes of the last `size` calls, in a ring buffer. */
export class CountBasedSlidingWindow {
  private readonly outcomes: boolean[] = []; // true = failure
  private next = 0;
  private failureCount = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slidingWindowSize must be an integer >= 1, got ${size}`);
  }

  /** Records one outcome, evicting the oldest once the window is full. */
  record(failed: boolean): void {
    if (this.outcomes.length < this.size) {
      this.outcomes.push(failed);
    } else {
      if (this.outcomes[this.next]) this.failureCount--;
      this.outcomes[this.next] = failed;
    }
    if (failed) this.failureCount++;
    this.next = (this.next + 1) % this.size;
  }

  /** Calls currently in the window. */
  get calls(): number {
    return this.outcomes.length;
  }

  /** Failed calls currently in the window. */
  get failures(): number {
    return this.failureCount;
  }

  reset(): void {
    this.outcomes.length = 0;
    this.next = 0;
    this.failureCount = 0;
  }
}

export interface FailureRateRuleOptions {
  slidingWindowSize: number;
  /** The rate is only evaluated once this many calls are in the window (capped at the window size). */
  minimumNumberOfCalls: number;
  /** Percent (0 < t <= 100); a rate at or above it trips. */
  failureRateThreshold: number;
}

export interface FailureRateEvaluation {
  calls: number;
  failures: number;
  /** Percent of failed calls in the window; null while fewer than minimumNumberOfCalls calls were recorded. */
  failureRate: number | null;
  /** True when the rule says the circuit should open. */
  tripped: boolean;
}

/** Trips when the failure rate over the window reaches the threshold, once enough calls are in it. */
export class FailureRateRule {
  private readonly window: CountBasedSlidingWindow;
  private readonly minimumCalls: number;

  constructor(readonly options: FailureRateRuleOptions) {
    const { minimumNumberOfCalls, failureRateThreshold } = options;
    if (!Number.isInteger(minimumNumberOfCalls) || minimumNumberOfCalls < 1) {
      throw new RangeError(`minimumNumberOfCalls must be an integer >= 1, got ${minimumNumberOfCalls}`);
    }
    if (!(failureRateThreshold > 0 && failureRateThreshold <= 100)) {
      throw new RangeError(`failureRateThreshold must be a percent in (0, 100], got ${failureRateThreshold}`);
    }
    this.window = new CountBasedSlidingWindow(options.slidingWindowSize);
    this.minimumCalls = Math.min(minimumNumberOfCalls, options.slidingWindowSize);
  }

  /** Records an outcome and answers whether the rule now trips. */
  record(failed: boolean): FailureRateEvaluation {
    this.window.record(failed);
    return this.evaluate();
  }

  evaluate(): FailureRateEvaluation {
    const calls = this.window.calls;
    const failures = this.window.failures;
    if (calls < this.minimumCalls) return { calls, failures, failureRate: null, tripped: false };
    const failureRate = (failures / calls) * 100;
    return { calls, failures, failureRate, tripped: failureRate >= this.options.failureRateThreshold };
  }

  reset(): void {
    this.window.reset();
  }
}
