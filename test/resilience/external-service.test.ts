import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseExternalServicesConfig, type ExternalServiceConfigInput } from '../../config/external-services';
import { ExternalServiceError, ExternalServiceRejection, NoHealthyInstanceError, BrokenCircuitError } from '../../resilience/errors';
import { ExternalService } from '../../resilience/external-service';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { capturingLogger, manualClock, setFaults, stats } from './helpers';

function serviceConfig(input: ExternalServiceConfigInput) {
  return parseExternalServicesConfig({ services: { anpr: input } }).services.anpr!;
}

describe('ExternalService (one attempt) against ANPR simulators', () => {
  let one: RunningSimulator;
  let two: RunningSimulator;
  beforeAll(async () => {
    one = await startSimulator('anpr', { port: 0, name: 'vendor-1', unreadablePlates: ['UNREADABLE'] });
    two = await startSimulator('anpr', { port: 0, name: 'vendor-2', unreadablePlates: ['UNREADABLE'] });
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
  });
  beforeEach(async () => {
    await Promise.all([
      fetch(`${one.url}/admin/reset`, { method: 'POST' }),
      fetch(`${two.url}/admin/reset`, { method: 'POST' }),
    ]);
  });

  function build(overrides: Partial<ExternalServiceConfigInput> = {}) {
    const { logger, lines } = capturingLogger();
    const clock = manualClock();
    const service = new ExternalService({
      name: 'anpr',
      logger,
      now: clock.now,
      config: serviceConfig({
        instances: [
          { id: 'one', url: one.url },
          { id: 'two', url: two.url },
        ],
        timeoutMs: 5_000,
        breaker: { slidingWindowSize: 10, minimumNumberOfCalls: 4, failureRateThreshold: 50, waitDurationInOpenState: 10_000, permittedNumberOfCallsInHalfOpenState: 1 },
        healthCheck: { intervalMs: 60_000, timeoutMs: 5_000, healthyThreshold: 1, unhealthyThreshold: 2 },
        ...overrides,
      }),
    });
    return { service, lines, clock };
  }

  const verify = (service: ExternalService, plate = 'AB123CD') =>
    service.call<{ plate: string; vendor: string }>('POST', '/v1/plates/verify', { plate });

  it('answers with the value and the instance, balanced across instances', async () => {
    const { service } = build();
    const first = await verify(service);
    const second = await verify(service);
    expect(first).toMatchObject({ value: { plate: 'AB123CD', vendor: 'vendor-1' }, instance: { id: 'one', url: one.url } });
    expect(second).toMatchObject({ value: { vendor: 'vendor-2' }, instance: { id: 'two' } });
    expect(service.snapshot().balancer.choices).toEqual({ one: 1, two: 1 });
  });

  it('turns a 4xx into ExternalServiceRejection and does not count it as a breaker failure', async () => {
    const { service } = build();
    for (let i = 0; i < 6; i++) {
      const err = await verify(service, 'UNREADABLE').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExternalServiceRejection);
      expect(err).toMatchObject({ status: 422, body: { error: 'UNREADABLE' } });
    }
    expect(service.breaker.snapshot()).toMatchObject({ state: 'CLOSED', callsInWindow: 6, failedCallsInWindow: 0 });
  });

  it('counts 5xx as failures and opens the breaker, logging the transition once', async () => {
    const { service, lines } = build();
    await Promise.all([setFaults(one.url, { failRate: 1 }), setFaults(two.url, { failRate: 1 })]);
    for (let i = 0; i < 4; i++) {
      const err = await verify(service).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExternalServiceError);
      expect(err).toMatchObject({ kind: 'status', status: 503 });
    }
    expect(service.breaker.state).toBe('OPEN');
    const before = (await stats(one.url)).calls + (await stats(two.url)).calls;
    await expect(verify(service)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect((await stats(one.url)).calls + (await stats(two.url)).calls).toBe(before);
    const transitions = lines.filter((l) => l.event === 'circuit_breaker.state_changed');
    expect(transitions).toHaveLength(1);
    expect(transitions[0]).toMatchObject({ service: 'anpr', from: 'CLOSED', to: 'OPEN', failureRate: 100 });
  });

  it('reports a call slower than the timeout as kind timeout', async () => {
    const { service } = build({ timeoutMs: 50 });
    await Promise.all([setFaults(one.url, { latencyMs: 2_000 }), setFaults(two.url, { latencyMs: 2_000 })]);
    const err = await verify(service).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalServiceError);
    expect(err).toMatchObject({ kind: 'timeout', service: 'anpr' });
  });

  it('reports a refused connection as kind network', async () => {
    const gone = await startSimulator('anpr', { port: 0, name: 'gone' });
    await gone.close();
    const { service } = build({ instances: [{ id: 'gone', url: gone.url }] });
    await expect(verify(service)).rejects.toMatchObject({ name: 'ExternalServiceError', kind: 'network' });
  });

  it('with one of two instances marked DOWN by health checks, every call succeeds through the other', async () => {
    const { service } = build();
    await setFaults(one.url, { down: true });
    await service.health.checkNow();
    await service.health.checkNow();
    expect(service.health.isInRotation('one')).toBe(false);
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await verify(service, `PLATE${i}`));
    expect(results.every((r) => r.instance.id === 'two')).toBe(true);
    expect((await stats(one.url)).calls).toBe(0);
    expect(service.snapshot()).toMatchObject({ status: 'DOWN', balancer: { choices: { one: 0, two: 10 } } });
    expect(service.breaker.state).toBe('CLOSED');
  });

  it('throws NoHealthyInstanceError when every instance is DOWN, without touching the breaker', async () => {
    const { service } = build();
    await Promise.all([setFaults(one.url, { down: true }), setFaults(two.url, { down: true })]);
    await service.health.checkNow();
    await service.health.checkNow();
    await expect(verify(service)).rejects.toBeInstanceOf(NoHealthyInstanceError);
    expect(service.breaker.snapshot().callsInWindow).toBe(0);
  });
});
