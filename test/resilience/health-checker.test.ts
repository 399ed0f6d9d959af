import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthChecker, aggregateStatus, isInRotation } from '../../resilience/health-checker';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { capturingLogger, probeServer, setFaults } from './helpers';

describe('aggregateStatus', () => {
  it('any DOWN is DOWN, else any UNKNOWN is UNKNOWN, else UP', () => {
    expect(aggregateStatus(['UP', 'UP'])).toBe('UP');
    expect(aggregateStatus(['UP', 'DOWN'])).toBe('DOWN');
    expect(aggregateStatus(['UNKNOWN', 'DOWN', 'UP'])).toBe('DOWN');
    expect(aggregateStatus(['UP', 'UNKNOWN'])).toBe('UNKNOWN');
    expect(aggregateStatus([])).toBe('UNKNOWN');
  });

  it('keeps UNKNOWN instances in rotation, DOWN ones out', () => {
    expect(isInRotation('UNKNOWN')).toBe(true);
    expect(isInRotation('UP')).toBe(true);
    expect(isInRotation('DOWN')).toBe(false);
  });
});

describe('HealthChecker against simulators', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  beforeAll(async () => {
    a = await startSimulator('anpr', { port: 0, name: 'anpr-a' });
    b = await startSimulator('anpr', { port: 0, name: 'anpr-b' });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });
  beforeEach(async () => {
    await Promise.all([setFaults(a.url, { down: false }), setFaults(b.url, { down: false })]);
  });

  const checker = (logger?: ReturnType<typeof capturingLogger>['logger']) =>
    new HealthChecker({
      service: 'anpr',
      instances: [
        { id: 'a', url: a.url },
        { id: 'b', url: b.url },
      ],
      healthPath: '/health',
      intervalMs: 60_000,
      timeoutMs: 5_000,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      ...(logger ? { logger } : {}),
    });

  it('starts UNKNOWN and in rotation, goes UP after healthyThreshold passes', async () => {
    const health = checker();
    expect(health.instances().map((i) => [i.status, i.inRotation])).toEqual([
      ['UNKNOWN', true],
      ['UNKNOWN', true],
    ]);
    expect(health.aggregate()).toBe('UNKNOWN');
    await health.checkNow();
    expect(health.status('a')).toBe('UNKNOWN');
    await health.checkNow();
    expect(health.status('a')).toBe('UP');
    expect(health.status('b')).toBe('UP');
    expect(health.aggregate()).toBe('UP');
  });

  it('takes an instance out after unhealthyThreshold failures and back in after healthyThreshold passes', async () => {
    const { logger, lines } = capturingLogger();
    const health = checker(logger);
    await health.checkNow();
    await health.checkNow();
    await setFaults(a.url, { down: true });

    await health.checkNow();
    await health.checkNow();
    expect(health.isInRotation('a')).toBe(true); // two failures: not yet
    expect(health.instances()[0]).toMatchObject({ status: 'UP', consecutiveFailures: 2, lastError: 'HTTP 503' });
    await health.checkNow();
    expect(health.status('a')).toBe('DOWN');
    expect(health.isInRotation('a')).toBe(false);
    expect(health.isInRotation('b')).toBe(true);
    expect(health.aggregate()).toBe('DOWN'); // the stated rule: any DOWN → DOWN, even with b UP

    await setFaults(a.url, { down: false });
    await health.checkNow();
    expect(health.isInRotation('a')).toBe(false); // one pass: not yet
    await health.checkNow();
    expect(health.status('a')).toBe('UP');
    expect(health.isInRotation('a')).toBe(true);
    expect(health.aggregate()).toBe('UP');

    const changes = lines.filter((l) => l.event === 'health.status_changed').map((l) => `${l.instance}:${l.from}->${l.to}`);
    expect(changes).toEqual(['a:UNKNOWN->UP', 'b:UNKNOWN->UP', 'a:UP->DOWN', 'a:DOWN->UP']);
  });

  it('an UNKNOWN instance that keeps failing goes straight to DOWN', async () => {
    await setFaults(b.url, { down: true });
    const health = checker();
    for (let i = 0; i < 3; i++) await health.checkNow();
    expect(health.status('b')).toBe('DOWN');
    expect(health.status('a')).toBe('UP');
  });

  it('counts refused connections and probe timeouts as failures', async () => {
    const silent: Server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const closed = await startSimulator('anpr', { port: 0, name: 'gone' });
    await closed.close();
    const health = new HealthChecker({
      service: 'x',
      instances: [
        { id: 'silent', url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` },
        { id: 'refused', url: closed.url },
      ],
      healthPath: '/health',
      intervalMs: 60_000,
      timeoutMs: 50,
      healthyThreshold: 1,
      unhealthyThreshold: 1,
    });
    const detail = await health.checkNow();
    expect(detail.map((d) => d.status)).toEqual(['DOWN', 'DOWN']);
    expect(detail[0]!.lastError).toMatch(/timeout/);
    expect(detail[1]!.lastError).toBeTruthy();
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('start() probes at once and on every interval; stop() clears its timer and no probe follows', async () => {
    const server = await probeServer();
    const probe = `${server.url}/a/health`;
    // The test moves the checker's interval by hand (it schedules its rounds with setInterval),
    // and counts the probes it sends: each round is a tick, not a wall-clock race.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const fetches = vi.spyOn(globalThis, 'fetch');
    const sent = () => fetches.mock.calls.filter(([url]) => String(url) === probe).length;
    try {
      const health = new HealthChecker({
        service: 'anpr',
        instances: [{ id: 'a', url: `${server.url}/a` }],
        healthPath: '/health',
        intervalMs: 1_000,
        timeoutMs: 5_000,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      });
      const timers = vi.getTimerCount();
      health.start();
      expect(vi.getTimerCount()).toBe(timers + 1);
      expect(sent()).toBe(1); // the first round goes at once
      await health.checkNow(); // joins that round
      expect(server.counts()).toEqual({ '/a/health': 1 });

      vi.advanceTimersByTime(1_000);
      expect(sent()).toBe(2);
      await health.checkNow();
      expect(server.counts()).toEqual({ '/a/health': 2 });
      expect(health.status('a')).toBe('UP'); // two passes

      health.stop();
      expect(vi.getTimerCount()).toBe(timers);
      vi.advanceTimersByTime(10_000); // ten intervals later: nothing was sent
      expect(sent()).toBe(2);
      expect(server.counts()).toEqual({ '/a/health': 2 });
    } finally {
      fetches.mockRestore();
      vi.useRealTimers();
      await server.close();
    }
  });
});
