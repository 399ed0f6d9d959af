import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type CircuitBreakerSettings, type CircuitState } from '../../resilience/circuit-breaker';
import { BrokenCircuitError } from '../../resilience/errors';
import { deferred, manualClock } from './helpers';

const boom = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');

function setup(overrides: Partial<CircuitBreakerSettings> = {}) {
  const clock = manualClock();
  const transitions: Array<[CircuitState, CircuitState]> = [];
  const breaker = new CircuitBreaker({
    name: 'anpr',
    slidingWindowSize: 10,
    minimumNumberOfCalls: 4,
    failureRateThreshold: 50,
    waitDurationInOpenState: 30_000,
    permittedNumberOfCallsInHalfOpenState: 2,
    now: clock.now,
    onStateChange: (from, to) => transitions.push([from, to]),
    ...overrides,
  });
  return { breaker, clock, transitions };
}

async function fail(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) await expect(breaker.execute(boom)).rejects.toThrow('boom');
}

async function open(breaker: CircuitBreaker) {
  await fail(breaker, 4);
  expect(breaker.state).toBe('OPEN');
}

describe('CircuitBreaker', () => {
  it('stays CLOSED until the minimum number of calls, then opens at the failure rate', async () => {
    const { breaker, transitions } = setup();
    await fail(breaker, 3);
    expect(breaker.state).toBe('CLOSED'); // 100% failures, but only 3 calls of the 4 needed
    await fail(breaker, 1);
    expect(breaker.state).toBe('OPEN');
    expect(transitions).toEqual([['CLOSED', 'OPEN']]);
  });

  it('does not open while the rate stays below the threshold', async () => {
    const { breaker } = setup();
    for (let i = 0; i < 10; i++) {
      await breaker.execute(ok);
      await breaker.execute(ok);
      if (i % 2 === 0) await fail(breaker, 1); // about 20-33% failures
    }
    expect(breaker.state).toBe('CLOSED');
    expect(breaker.snapshot().failureRate).toBeLessThan(50);
  });

  it('opens when the rate reaches the threshold exactly', async () => {
    const { breaker } = setup();
    await breaker.execute(ok);
    await breaker.execute(ok);
    await fail(breaker, 1);
    expect(breaker.state).toBe('CLOSED'); // 3 calls: rate not evaluated yet
    await fail(breaker, 1); // 2 of 4 = 50%
    expect(breaker.state).toBe('OPEN');
  });

  it('fails fast when OPEN without calling fn, with the time left before half-open', async () => {
    const { breaker, clock } = setup();
    await open(breaker);
    clock.advance(10_000);
    const fn = vi.fn(ok);
    const err = await breaker.execute(fn).catch((e: unknown) => e);
    expect(fn).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(BrokenCircuitError);
    expect(err).toMatchObject({ name: 'BrokenCircuitError', service: 'anpr', retryAfterMs: 20_000, state: 'OPEN' });
  });

  it('goes HALF_OPEN once the wait is over (injected clock)', async () => {
    const { breaker, clock, transitions } = setup();
    await open(breaker);
    clock.advance(29_999);
    expect(breaker.state).toBe('OPEN');
    clock.advance(1);
    expect(breaker.state).toBe('HALF_OPEN');
    expect(transitions).toEqual([
      ['CLOSED', 'OPEN'],
      ['OPEN', 'HALF_OPEN'],
    ]);
  });

  it('closes after the permitted trial calls all succeed, with an empty window', async () => {
    const { breaker, clock, transitions } = setup();
    await open(breaker);
    clock.advance(30_000);
    await breaker.execute(ok);
    expect(breaker.state).toBe('HALF_OPEN');
    await breaker.execute(ok);
    expect(breaker.state).toBe('CLOSED');
    expect(transitions.at(-1)).toEqual(['HALF_OPEN', 'CLOSED']);
    expect(breaker.snapshot()).toMatchObject({ callsInWindow: 0, failureRate: null, openedAt: null });
    // The old failures are gone: three new failures are not enough to open again.
    await fail(breaker, 3);
    expect(breaker.state).toBe('CLOSED');
  });

  it('re-opens on a failure in half-open, and waits the full duration again', async () => {
    const { breaker, clock, transitions } = setup();
    await open(breaker);
    clock.advance(30_000);
    await breaker.execute(ok);
    await fail(breaker, 1);
    expect(breaker.state).toBe('OPEN');
    expect(transitions.slice(-2)).toEqual([
      ['OPEN', 'HALF_OPEN'],
      ['HALF_OPEN', 'OPEN'],
    ]);
    const err = await breaker.execute(ok).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryAfterMs: 30_000 });
  });

  it('admits exactly the permitted calls in half-open; extra concurrent calls fail fast', async () => {
    const { breaker, clock } = setup();
    await open(breaker);
    clock.advance(30_000);
    const first = deferred<string>();
    const second = deferred<string>();
    const p1 = breaker.execute(() => first.promise);
    const p2 = breaker.execute(() => second.promise);
    const extra = vi.fn(ok);
    const err = await breaker.execute(extra).catch((e: unknown) => e);
    expect(extra).not.toHaveBeenCalled();
    expect(err).toBeInstanceOf(BrokenCircuitError);
    expect(err).toMatchObject({ state: 'HALF_OPEN' });
    expect((err as BrokenCircuitError).retryAfterMs).toBeGreaterThan(0);
    first.resolve('a');
    second.resolve('b');
    await expect(Promise.all([p1, p2])).resolves.toEqual(['a', 'b']);
    expect(breaker.state).toBe('CLOSED');
  });

  it('ignores outcomes of calls admitted before the last transition', async () => {
    // One trial call decides HALF_OPEN here, so an outcome taken for a trial would decide it alone.
    const { breaker, clock, transitions } = setup({ permittedNumberOfCallsInHalfOpenState: 1 });
    const slowFailure = deferred<string>();
    const slowSuccess = deferred<string>();
    const failing = breaker.execute(() => slowFailure.promise);
    const succeeding = breaker.execute(() => slowSuccess.promise);
    await open(breaker);
    clock.advance(30_000);
    expect(breaker.state).toBe('HALF_OPEN');

    // Both calls were admitted while CLOSED: they are not trial calls, and decide nothing.
    slowFailure.reject(new Error('late'));
    await expect(failing).rejects.toThrow('late');
    expect(breaker.state).toBe('HALF_OPEN');
    slowSuccess.resolve('late');
    await expect(succeeding).resolves.toBe('late');
    expect(breaker.snapshot()).toMatchObject({ state: 'HALF_OPEN', callsInWindow: 4, halfOpen: { admitted: 0, succeeded: 0 } });

    // The trial slot is still free: the first call admitted in HALF_OPEN decides.
    await breaker.execute(ok);
    expect(breaker.state).toBe('CLOSED');
    expect(transitions).toEqual([
      ['CLOSED', 'OPEN'],
      ['OPEN', 'HALF_OPEN'],
      ['HALF_OPEN', 'CLOSED'],
    ]);
  });

  it('counts errors that are not failures as successes', async () => {
    const { breaker } = setup({ isFailure: (err) => !(err instanceof TypeError) });
    for (let i = 0; i < 6; i++) await expect(breaker.execute(() => Promise.reject(new TypeError('4xx')))).rejects.toThrow();
    expect(breaker.snapshot()).toMatchObject({ state: 'CLOSED', callsInWindow: 6, failedCallsInWindow: 0, failureRate: 0 });
  });

  it('gives operators a snapshot', async () => {
    const { breaker, clock } = setup();
    await breaker.execute(ok);
    await fail(breaker, 3);
    const openedAt = clock.now();
    expect(breaker.snapshot()).toEqual({
      name: 'anpr',
      state: 'OPEN',
      failureRate: 75,
      callsInWindow: 4,
      failedCallsInWindow: 3,
      openedAt,
      retryAfterMs: 30_000,
      halfOpen: { permitted: 2, admitted: 0, succeeded: 0 },
    });
  });

  it('supports extra listeners and survives a throwing one', async () => {
    const { breaker } = setup();
    const seen: string[] = [];
    const off = breaker.onStateChange((from, to) => seen.push(`${from}->${to}`));
    breaker.onStateChange(() => {
      throw new Error('bad listener');
    });
    await open(breaker);
    off();
    breaker.reset();
    expect(seen).toEqual(['CLOSED->OPEN']);
    expect(breaker.state).toBe('CLOSED');
  });

  it('validates its options', () => {
    expect(() => setup({ permittedNumberOfCallsInHalfOpenState: 0 })).toThrow(/permittedNumberOfCallsInHalfOpenState/);
    expect(() => setup({ waitDurationInOpenState: -1 })).toThrow(/waitDurationInOpenState/);
    expect(() => setup({ slidingWindowSize: 0 })).toThrow(/slidingWindowSize/);
  });
});
