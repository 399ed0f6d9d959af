import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseExternalServicesConfig } from '../../config/external-services';
import { AllAlternativesFailedError, ExternalServiceRejection, retryAfterMsOf } from '../../resilience/errors';
import { ResilienceRegistry } from '../../resilience/registry';
import { runRequest } from '../../resilience/service-call';
import { anprPolicy } from '../../vendors/anpr';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { capturingLogger, manualClock, probeServer, setFaults, stats } from './helpers';

interface Verification {
  plate: string;
  vendor: string;
}

describe('ResilienceRegistry: primary → alternatives → cache over real HTTP', () => {
  let primary1: RunningSimulator;
  let primary2: RunningSimulator;
  let backup: RunningSimulator;
  const all = () => [primary1, primary2, backup];

  beforeAll(async () => {
    [primary1, primary2, backup] = await Promise.all([
      startSimulator('anpr', { port: 0, name: 'anpr-1', unreadablePlates: ['UNREADABLE'] }),
      startSimulator('anpr', { port: 0, name: 'anpr-2', unreadablePlates: ['UNREADABLE'] }),
      startSimulator('anpr', { port: 0, name: 'anpr-backup-1', unreadablePlates: ['UNREADABLE'] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(all().map((s) => s.close()));
  });
  beforeEach(async () => {
    await Promise.all(all().map((s) => fetch(`${s.url}/admin/reset`, { method: 'POST' })));
  });

  function build() {
    const clock = manualClock();
    const { logger, lines } = capturingLogger();
    const breaker = {
      slidingWindowSize: 10,
      minimumNumberOfCalls: 2,
      failureRateThreshold: 50,
      waitDurationInOpenState: 30_000,
      permittedNumberOfCallsInHalfOpenState: 1,
    };
    const healthCheck = { intervalMs: 60_000, timeoutMs: 5_000, healthyThreshold: 1, unhealthyThreshold: 1 };
    const config = parseExternalServicesConfig({
      services: {
        anpr: {
          instances: [
            { id: 'anpr-1', url: primary1.url },
            { id: 'anpr-2', url: primary2.url },
          ],
          timeoutMs: 5_000,
          breaker,
          healthCheck,
          alternatives: ['anpr-backup'],
        },
        'anpr-backup': { instances: [{ id: 'anpr-backup-1', url: backup.url }], timeoutMs: 5_000, breaker, healthCheck },
      },
      cache: { ttlSeconds: 300 },
    });
    const registry = new ResilienceRegistry({ config, logger, now: clock.now });
    // The product's ANPR chain (cache → primary → backup), on this registry.
    const policy = anprPolicy(registry);
    const verify = (plate: string, cacheKey?: string) =>
      runRequest<Verification>(policy, {
        method: 'POST',
        path: '/v1/plates/verify',
        body: { plate },
        ...(cacheKey ? { cacheKey } : {}),
      });
    return { registry, clock, lines, verify };
  }

  const fallbackLines = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.event === 'resilience.fallback');
  const breakerLines = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.event === 'circuit_breaker.state_changed');

  it('answers from the primary, naming the instance', async () => {
    const { verify } = build();
    await expect(verify('AB123CD')).resolves.toMatchObject({ value: { plate: 'AB123CD', vendor: 'anpr-1' }, via: 'primary:anpr-1' });
    await expect(verify('AB123CD')).resolves.toMatchObject({ via: 'primary:anpr-2' });
  });

  it('primary down → answered by the backup with via alternative:anpr-backup, one log line per fallback', async () => {
    const { verify, lines, registry } = build();
    await Promise.all([setFaults(primary1.url, { down: true }), setFaults(primary2.url, { down: true })]);
    const result = await verify('AB123CD');
    expect(result).toMatchObject({ value: { vendor: 'anpr-backup-1' }, via: 'alternative:anpr-backup' });
    const fallbacks = fallbackLines(lines);
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatchObject({ kind: 'alternative', service: 'anpr', from: 'primary', to: 'alternative:anpr-backup' });
    expect(registry.snapshot().services.anpr!.fallbacks).toEqual({ alternative: 1, cache: 0 });
  });

  it('a business 4xx passes through untouched, without trying the alternative', async () => {
    const { verify } = build();
    const err = await verify('UNREADABLE').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalServiceRejection);
    expect(err).toMatchObject({ status: 422, body: { error: 'UNREADABLE' } });
    expect((await stats(backup.url)).calls).toBe(0);
  });

  it('breaker open on the primary → straight to the alternative without a network call to the primary', async () => {
    const { verify, lines, registry, clock } = build();
    await Promise.all([setFaults(primary1.url, { down: true }), setFaults(primary2.url, { down: true })]);
    await verify('P1');
    await verify('P2');
    expect(registry.service('anpr').breaker.state).toBe('OPEN');

    // The primaries recover, but the circuit is open: they must not be called.
    await Promise.all([setFaults(primary1.url, { down: false }), setFaults(primary2.url, { down: false })]);
    const before = (await stats(primary1.url)).calls + (await stats(primary2.url)).calls;
    for (let i = 0; i < 5; i++) await expect(verify(`Q${i}`)).resolves.toMatchObject({ via: 'alternative:anpr-backup' });
    expect((await stats(primary1.url)).calls + (await stats(primary2.url)).calls).toBe(before);
    expect(fallbackLines(lines).at(-1)).toMatchObject({ reason: expect.stringContaining('BrokenCircuitError') });

    // After the wait, one trial call goes to the primary and closes the circuit.
    clock.advance(30_000);
    await expect(verify('R1')).resolves.toMatchObject({ via: expect.stringMatching(/^primary:/) });
    expect(registry.service('anpr').breaker.state).toBe('CLOSED');
    expect(breakerLines(lines).map((l) => `${l.from}->${l.to}`)).toEqual(['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->CLOSED']);
  });

  it('every path out → the cached answer, until the TTL passes', async () => {
    const { verify, lines, registry, clock } = build();
    const fresh = await verify('AB123CD', 'plate:AB123CD');
    expect(fresh.via).toMatch(/^primary:/);

    await Promise.all(all().map((s) => setFaults(s.url, { down: true })));
    clock.advance(120_000);
    const cached = await verify('AB123CD', 'plate:AB123CD');
    expect(cached).toEqual({ value: fresh.value, via: 'cache', cacheAgeMs: 120_000 });
    expect(fallbackLines(lines).filter((l) => l.kind === 'cache')).toHaveLength(1);

    // Another key has nothing cached: the caller gets every failure.
    const miss = await verify('ZZ999ZZ', 'plate:ZZ999ZZ').catch((e: unknown) => e);
    expect(miss).toBeInstanceOf(AllAlternativesFailedError);

    clock.advance(180_000); // 300 s old now: expired
    await expect(verify('AB123CD', 'plate:AB123CD')).rejects.toBeInstanceOf(AllAlternativesFailedError);

    const snap = registry.snapshot().services.anpr!;
    expect(snap.cache).toMatchObject({ hits: 1, misses: 2, expired: 1, stored: 1 });
    expect(snap.fallbacks.cache).toBe(1);
  });

  it('a business 4xx is not answered from the cache', async () => {
    const { verify } = build();
    await verify('UNREADABLE', 'plate:UNREADABLE').catch(() => undefined);
    await expect(verify('UNREADABLE', 'plate:UNREADABLE')).rejects.toBeInstanceOf(ExternalServiceRejection);
  });

  it('when every circuit is open, the error carries the shortest retry-after', async () => {
    const { verify, registry, clock } = build();
    await Promise.all(all().map((s) => setFaults(s.url, { down: true })));
    await verify('A').catch(() => undefined);
    await verify('B').catch(() => undefined);
    expect(registry.service('anpr').breaker.state).toBe('OPEN');
    expect(registry.service('anpr-backup').breaker.state).toBe('OPEN');
    clock.advance(5_000);
    const err = await verify('C').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllAlternativesFailedError);
    expect(retryAfterMsOf(err)).toBe(25_000);
  });

  it('takes DOWN instances out of rotation through its health checks', async () => {
    const { verify, registry } = build();
    await setFaults(primary1.url, { down: true });
    await registry.checkHealthNow();
    for (let i = 0; i < 6; i++) await expect(verify(`H${i}`)).resolves.toMatchObject({ via: 'primary:anpr-2' });
    expect((await stats(primary1.url)).calls).toBe(0);
  });

  it('gives operators one snapshot of every service', async () => {
    const { verify, registry } = build();
    await verify('AB123CD', 'k');
    await registry.checkHealthNow();
    const snap = registry.snapshot();
    expect(Object.keys(snap.services).sort()).toEqual(['anpr', 'anpr-backup']);
    expect(snap.cacheTtlSeconds).toBe(300);
    expect(snap.services.anpr).toMatchObject({
      name: 'anpr',
      status: 'UP',
      alternatives: ['anpr-backup'],
      breaker: { state: 'CLOSED', callsInWindow: 1 },
      balancer: { strategy: 'round_robin', choices: { 'anpr-1': 1, 'anpr-2': 0 } },
      cache: { stored: 1, hits: 0, misses: 0 },
      fallbacks: { alternative: 0, cache: 0 },
    });
    expect(snap.services.anpr!.instances.map((i) => [i.id, i.status, i.inRotation, i.weight])).toEqual([
      ['anpr-1', 'UP', true, 1],
      ['anpr-2', 'UP', true, 1],
    ]);
    expect(() => JSON.stringify(snap)).not.toThrow();
  });

  it('names its services', () => {
    const { registry } = build();
    expect(registry.serviceNames()).toEqual(['anpr', 'anpr-backup']);
    expect(() => registry.service('nope')).toThrow(/unknown external service/);
  });
});

describe('ResilienceRegistry: start() and stop()', () => {
  it('start() runs every health checker on its interval; stop() clears their timers and no probe follows', async () => {
    const server = await probeServer();
    const healthCheck = { intervalMs: 1_000, timeoutMs: 5_000, healthyThreshold: 1, unhealthyThreshold: 1 };
    const instance = (id: string) => ({ id, url: `${server.url}/${id}` });
    const config = parseExternalServicesConfig({
      services: {
        anpr: { instances: [instance('anpr-1'), instance('anpr-2')], healthCheck, alternatives: ['anpr-backup'] },
        'anpr-backup': { instances: [instance('anpr-backup-1')], healthCheck },
      },
      cache: { ttlSeconds: 300 },
    });
    const probed = (times: number) => ({ '/anpr-1/health': times, '/anpr-2/health': times, '/anpr-backup-1/health': times });
    // The test moves the checkers' intervals by hand and counts the probes they send (see the
    // HealthChecker test): every round is a tick, not a wall-clock race.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const fetches = vi.spyOn(globalThis, 'fetch');
    const sent = () => fetches.mock.calls.filter(([url]) => String(url).startsWith(server.url)).length;
    try {
      const registry = new ResilienceRegistry({ config, logger: capturingLogger().logger });
      const timers = vi.getTimerCount();
      registry.start();
      expect(vi.getTimerCount()).toBe(timers + 2); // one checker per service
      expect(sent()).toBe(3); // every instance probed at once
      await registry.checkHealthNow(); // joins those rounds
      expect(server.counts()).toEqual(probed(1));
      expect(Object.values(registry.snapshot().services).map((s) => s.status)).toEqual(['UP', 'UP']);

      vi.advanceTimersByTime(1_000);
      expect(sent()).toBe(6);
      await registry.checkHealthNow();
      expect(server.counts()).toEqual(probed(2));

      registry.stop();
      expect(vi.getTimerCount()).toBe(timers);
      vi.advanceTimersByTime(10_000); // ten intervals later: nothing was sent
      expect(sent()).toBe(6);
      expect(server.counts()).toEqual(probed(2));
    } finally {
      fetches.mockRestore();
      vi.useRealTimers();
      await server.close();
    }
  });
});
