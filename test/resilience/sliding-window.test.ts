import { describe, expect, it } from 'vitest';
import { CountBasedSlidingWindow, FailureRateRule } from '../../resilience/sliding-window';

describe('CountBasedSlidingWindow', () => {
  it('keeps only the last N outcomes', () => {
    const window = new CountBasedSlidingWindow(3);
    window.record(true);
    window.record(true);
    window.record(false);
    expect([window.calls, window.failures]).toEqual([3, 2]);
    window.record(false); // evicts the first failure
    expect([window.calls, window.failures]).toEqual([3, 1]);
    window.record(false);
    window.record(false);
    expect([window.calls, window.failures]).toEqual([3, 0]);
    window.reset();
    expect([window.calls, window.failures]).toEqual([0, 0]);
  });

  it('rejects a size below 1', () => {
    expect(() => new CountBasedSlidingWindow(0)).toThrow(RangeError);
  });
});

describe('FailureRateRule', () => {
  const rule = () => new FailureRateRule({ slidingWindowSize: 10, minimumNumberOfCalls: 4, failureRateThreshold: 50 });

  it('does not evaluate the rate before the minimum number of calls', () => {
    const r = rule();
    expect(r.record(true)).toMatchObject({ failureRate: null, tripped: false });
    expect(r.record(true)).toMatchObject({ failureRate: null, tripped: false });
    expect(r.record(true)).toMatchObject({ failureRate: null, tripped: false });
    expect(r.record(true)).toMatchObject({ calls: 4, failures: 4, failureRate: 100, tripped: true });
  });

  it('trips at a rate equal to the threshold, not below', () => {
    const r = rule();
    r.record(false);
    r.record(false);
    r.record(true);
    expect(r.record(false)).toMatchObject({ failureRate: 25, tripped: false });
    expect(r.record(true)).toMatchObject({ failureRate: 40, tripped: false });
    expect(r.record(true)).toMatchObject({ failureRate: 50, tripped: true });
  });

  it('forgets outcomes that slid out of the window', () => {
    const r = new FailureRateRule({ slidingWindowSize: 4, minimumNumberOfCalls: 4, failureRateThreshold: 75 });
    r.record(true);
    r.record(true);
    r.record(false);
    r.record(false);
    expect(r.evaluate()).toMatchObject({ failureRate: 50, tripped: false });
    r.record(true); // evicts a failure
    expect(r.evaluate()).toMatchObject({ failures: 2, failureRate: 50 });
  });

  it('caps the minimum at the window size', () => {
    const r = new FailureRateRule({ slidingWindowSize: 2, minimumNumberOfCalls: 10, failureRateThreshold: 50 });
    r.record(true);
    expect(r.record(true).tripped).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new FailureRateRule({ slidingWindowSize: 10, minimumNumberOfCalls: 0, failureRateThreshold: 50 })).toThrow(/minimumNumberOfCalls/);
    expect(() => new FailureRateRule({ slidingWindowSize: 10, minimumNumberOfCalls: 1, failureRateThreshold: 0 })).toThrow(/failureRateThreshold/);
    expect(() => new FailureRateRule({ slidingWindowSize: 10, minimumNumberOfCalls: 1, failureRateThreshold: 101 })).toThrow(/failureRateThreshold/);
  });
});
