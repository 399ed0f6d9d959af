import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseExternalServicesConfig, type ExternalInstanceConfig } from '../../config/external-services';
import { InstancesAtCapacityError } from '../../resilience/errors';
import { ResilienceRegistry } from '../../resilience/registry';
import { runRequest } from '../../resilience/service-call';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { capturingLogger, setFaults, stats } from './helpers';

interface Verification {
  plate: string;
  vendor: string;
}

/** Instances registered and deregistered at run time, caps on concurrent calls: over real ANPR simulators. */
describe('ResilienceRegistry: instances that come and go', () => {
  let sims: RunningSimulator[];
  const sim = (n: 1 | 2 | 3) => sims[n - 1]!;

  beforeAll(async () => {
    sims = await Promise.all([1, 2, 3].map((n) => startSimulator('anpr', { port: 0, name: `anpr-${n}` })));
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
  });
  beforeEach(async () => {
    await Promise.all(sims.map((s) => fetch(`${s.url}/admin/reset`, { method: 'POST' })));
  });

  function build(instances: Array<Partial<ExternalInstanceConfig> & { id: string; url: string }>, balancer = 'round_robin') {
    const { logger, lines } = capturingLogger();
    const config = parseExternalServicesConfig({
      services: {
        anpr: {
          instances,
          balancer,
          timeoutMs: 10_000,
          // Probed only when the test says so.
          healthCheck: { intervalMs: 600_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 1 },
        },
      },
    });
    const registry = new ResilienceRegistry({ config, logger });
    const anpr = registry.service('anpr');
    const verify = (plate = 'AB123CD') => anpr.call<Verification>('POST', '/v1/plates/verify', { plate });
    const instance = (id: string) => registry.snapshot().services.anpr!.instances.find((i) => i.id === id);
    return { registry, anpr, verify, instance, lines };
  }

  const callsOf = async (n: 1 | 2 | 3) => (await stats(sim(n).url)).calls;

  it('a registered instance takes calls only after healthyThreshold passed checks, with its tags and metadata', async () => {
    const { registry, verify, instance, lines } = build([{ id: 'anpr-1', url: sim(1).url }]);
    registry.addInstance('anpr', { id: 'anpr-2', url: sim(2).url, tags: ['eu', 'v2'], metadata: { zone: 'b' } });

    expect(instance('anpr-2')).toMatchObject({ status: 'UNKNOWN', inRotation: false, joining: true, tags: ['eu', 'v2'], metadata: { zone: 'b' } });
    for (let i = 0; i < 4; i++) expect((await verify()).instance.id).toBe('anpr-1');

    await registry.checkHealthNow(); // one pass of two
    expect(instance('anpr-2')).toMatchObject({ inRotation: false, consecutivePasses: 1 });
    expect((await verify()).instance.id).toBe('anpr-1');
    expect(await callsOf(2)).toBe(0);

    await registry.checkHealthNow(); // the second pass: in rotation
    expect(instance('anpr-2')).toMatchObject({ status: 'UP', inRotation: true, joining: false });
    const picked = [];
    for (let i = 0; i < 4; i++) picked.push((await verify()).instance.id);
    expect(picked.sort()).toEqual(['anpr-1', 'anpr-1', 'anpr-2', 'anpr-2']);
    expect(await callsOf(2)).toBe(2);
    expect(lines.some((l) => l.event === 'resilience.instance_registered' && l.instance === 'anpr-2')).toBe(true);
  });

  it('a registered instance that fails its checks never joins, and does not make the service DOWN', async () => {
    const { registry, verify, instance } = build([{ id: 'anpr-1', url: sim(1).url }]);
    await setFaults(sim(3).url, { down: true });
    registry.addInstance('anpr', { id: 'anpr-3', url: sim(3).url });
    await registry.checkHealthNow();
    await registry.checkHealthNow();
    expect(instance('anpr-3')).toMatchObject({ status: 'DOWN', inRotation: false, joining: true });
    expect(registry.snapshot().services.anpr!.status).not.toBe('DOWN');
    for (let i = 0; i < 3; i++) expect((await verify()).instance.id).toBe('anpr-1');
    expect(await callsOf(3)).toBe(0);
  });

  it('rejects a bad or duplicate instance with the field named, changing nothing', () => {
    const { registry } = build([{ id: 'anpr-1', url: sim(1).url }]);
    expect(() => registry.addInstance('anpr', { id: 'x', url: 'ftp://nope' })).toThrow(/url: must be an http\(s\) URL/);
    expect(() => registry.addInstance('anpr', { id: 'x', url: sim(2).url, maxConnections: 0 })).toThrow(/maxConnections/);
    expect(() => registry.addInstance('anpr', { id: 'anpr-1', url: sim(2).url })).toThrow(/unique/);
    expect(() => registry.addInstance('nope', { id: 'x', url: sim(2).url })).toThrow(/unknown external service/);
    expect(registry.snapshot().services.anpr!.instances.map((i) => i.id)).toEqual(['anpr-1']);
  });

  it('a deregistered instance drains: no new calls, the call in flight finishes', async () => {
    const { registry, verify, instance, anpr } = build([
      { id: 'anpr-1', url: sim(1).url },
      { id: 'anpr-2', url: sim(2).url },
    ]);
    await setFaults(sim(1).url, { latencyMs: 1_500 });
    const inFlight = verify(); // round robin: anpr-1 first
    await vi.waitFor(async () => expect(await callsOf(1)).toBe(1), { timeout: 5_000, interval: 20 });

    expect(registry.removeInstance('anpr', 'anpr-1')).toBe(true);
    expect(instance('anpr-1')).toBeUndefined();
    expect(anpr.balancer.stats()).toMatchObject({ draining: ['anpr-1'], inFlight: { 'anpr-1': 1 } });
    for (let i = 0; i < 3; i++) expect((await verify()).instance.id).toBe('anpr-2');
    expect(await callsOf(1)).toBe(1);

    await expect(inFlight).resolves.toMatchObject({ value: { vendor: 'anpr-1' }, instance: { id: 'anpr-1' } });
    expect(anpr.balancer.stats().draining).toEqual([]);
    expect(anpr.balancer.stats().inFlight).not.toHaveProperty('anpr-1');
    expect(registry.removeInstance('anpr', 'anpr-1')).toBe(false);
  });

  it('calls beyond an instance cap go to another instance', async () => {
    // Weighted 10:1: without the cap, the second call would go to anpr-1 as well.
    const { verify, anpr } = build(
      [
        { id: 'anpr-1', url: sim(1).url, weight: 10, maxConnections: 1 },
        { id: 'anpr-2', url: sim(2).url, weight: 1 },
      ],
      'weighted',
    );
    await setFaults(sim(1).url, { latencyMs: 1_000 });
    const first = verify();
    expect(anpr.balancer.stats().inFlight['anpr-1']).toBe(1);
    const second = await verify();
    expect(second.instance.id).toBe('anpr-2');
    await expect(first).resolves.toMatchObject({ instance: { id: 'anpr-1' } });
    // Free again: the heavy instance takes the next call.
    expect((await verify()).instance.id).toBe('anpr-1');
  });

  it('fails fast when every instance is at its cap, without a network call or a breaker failure', async () => {
    const { verify, anpr, registry } = build([
      { id: 'anpr-1', url: sim(1).url, maxConnections: 1 },
      { id: 'anpr-2', url: sim(2).url, maxConnections: 1 },
    ]);
    await Promise.all([setFaults(sim(1).url, { latencyMs: 1_000 }), setFaults(sim(2).url, { latencyMs: 1_000 })]);
    const held = [verify(), verify()];
    expect(anpr.balancer.stats().inFlight).toEqual({ 'anpr-1': 1, 'anpr-2': 1 });

    await expect(verify()).rejects.toBeInstanceOf(InstancesAtCapacityError);
    await vi.waitFor(async () => expect((await callsOf(1)) + (await callsOf(2))).toBe(2), { timeout: 5_000, interval: 20 });

    const answers = await Promise.all(held);
    expect(answers.map((a) => a.instance.id).sort()).toEqual(['anpr-1', 'anpr-2']);
    expect(registry.snapshot().services.anpr!.breaker.failedCallsInWindow).toBe(0);
    expect(registry.snapshot().services.anpr!.instances.map((i) => i.maxConnections)).toEqual([1, 1]);
    await expect(verify()).resolves.toMatchObject({ value: { plate: 'AB123CD' } });
  });

  it('every primary at its cap: the call goes to the alternative service', async () => {
    const { logger } = capturingLogger();
    const config = parseExternalServicesConfig({
      services: {
        anpr: { instances: [{ id: 'anpr-1', url: sim(1).url, maxConnections: 1 }], timeoutMs: 10_000, alternatives: ['anpr-backup'] },
        'anpr-backup': { instances: [{ id: 'anpr-backup-1', url: sim(2).url }], timeoutMs: 10_000 },
      },
    });
    const registry = new ResilienceRegistry({ config, logger });
    const policy = registry.alternatives('anpr');
    const verify = () => runRequest<Verification>(policy, { method: 'POST', path: '/v1/plates/verify', body: { plate: 'AB123CD' }, alternatives: true });
    await setFaults(sim(1).url, { latencyMs: 1_000 });
    const held = verify();
    await expect(verify()).resolves.toMatchObject({ via: 'alternative:anpr-backup', value: { vendor: 'anpr-2' } });
    await expect(held).resolves.toMatchObject({ via: 'primary:anpr-1' });
    expect(registry.snapshot().services.anpr!.fallbacks.alternative).toBe(1);
  });
});
