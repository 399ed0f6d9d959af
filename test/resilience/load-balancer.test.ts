import { describe, expect, it } from 'vitest';
import { InstancesAtCapacityError, NoHealthyInstanceError } from '../../resilience/errors';
import { LoadBalancer, type BalancedInstance } from '../../resilience/load-balancer';
import { deferred, seededRandom } from './helpers';

const instances: BalancedInstance[] = [
  { id: 'a', url: 'http://a', weight: 5 },
  { id: 'b', url: 'http://b', weight: 1 },
  { id: 'c', url: 'http://c', weight: 2 },
];

function picks(balancer: LoadBalancer, n: number): string[] {
  return Array.from({ length: n }, () => balancer.pick().id);
}

function count(ids: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of ids) out[id] = (out[id] ?? 0) + 1;
  return out;
}

describe('LoadBalancer', () => {
  it('round robin cycles through the instances in order', () => {
    const balancer = new LoadBalancer({ service: 's', strategy: 'round_robin', instances });
    expect(picks(balancer, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    expect(count(picks(balancer, 300))).toEqual({ a: 100, b: 100, c: 100 });
    expect(balancer.stats().choices).toEqual({ a: 103, b: 102, c: 102 });
  });

  it('weighted gives exact proportions over every cycle, smoothly interleaved', () => {
    const balancer = new LoadBalancer({ service: 's', strategy: 'weighted', instances });
    const cycle = picks(balancer, 8);
    expect(count(cycle)).toEqual({ a: 5, b: 1, c: 2 });
    expect(cycle.join('')).not.toContain('aaaaa'); // smooth: the heavy instance is not picked in one burst
    for (let i = 0; i < 10; i++) expect(count(picks(balancer, 8))).toEqual({ a: 5, b: 1, c: 2 });
  });

  it('random is roughly uniform with a seeded random', () => {
    const balancer = new LoadBalancer({ service: 's', strategy: 'random', instances, random: seededRandom(42) });
    const counts = count(picks(balancer, 3000));
    for (const id of ['a', 'b', 'c']) {
      expect(counts[id]).toBeGreaterThan(900);
      expect(counts[id]).toBeLessThan(1100);
    }
  });

  it('random is reproducible with the same seed', () => {
    const one = new LoadBalancer({ service: 's', strategy: 'random', instances, random: seededRandom(7) });
    const two = new LoadBalancer({ service: 's', strategy: 'random', instances, random: seededRandom(7) });
    expect(picks(one, 50)).toEqual(picks(two, 50));
  });

  it('least connections prefers the idle instance while calls are held open', async () => {
    const balancer = new LoadBalancer({ service: 's', strategy: 'least_connections', instances });
    const held = [deferred(), deferred()];
    const used: string[] = [];
    const running = held.map((d) =>
      balancer.execute(async ({ instance }) => {
        used.push(instance.id);
        await d.promise;
      }),
    );
    expect(used).toEqual(['a', 'b']);
    expect(balancer.stats().inFlight).toEqual({ a: 1, b: 1, c: 0 });
    // c is the only idle instance: every new short call goes there.
    for (let i = 0; i < 5; i++) await balancer.execute(async ({ instance }) => used.push(instance.id));
    expect(used.slice(2)).toEqual(['c', 'c', 'c', 'c', 'c']);
    held[0]!.resolve();
    await running[0];
    expect(balancer.stats().inFlight).toEqual({ a: 0, b: 1, c: 0 });
    const next = [balancer.acquire(), balancer.acquire()];
    expect(next.map((l) => l.instance.id).sort()).toEqual(['a', 'c']);
    next.forEach((l) => l.release());
    held[1]!.resolve();
    await running[1];
    expect(balancer.stats().inFlight).toEqual({ a: 0, b: 0, c: 0 });
  });

  it('least connections spreads idle load in rotation', () => {
    const balancer = new LoadBalancer({ service: 's', strategy: 'least_connections', instances });
    expect(picks(balancer, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('releases in-flight counts when the call fails, and release() is idempotent', async () => {
    const balancer = new LoadBalancer({ service: 's', strategy: 'least_connections', instances });
    await expect(balancer.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    const lease = balancer.acquire();
    lease.release();
    lease.release();
    expect(balancer.stats().inFlight).toEqual({ a: 0, b: 0, c: 0 });
  });

  it.each(['round_robin', 'least_connections', 'random', 'weighted'] as const)('%s skips unhealthy instances', (strategy) => {
    const down = new Set(['b']);
    const balancer = new LoadBalancer({
      service: 's',
      strategy,
      instances,
      isHealthy: (id) => !down.has(id),
      random: seededRandom(1),
    });
    const first = count(picks(balancer, 70));
    expect(first.b).toBeUndefined();
    expect((first.a ?? 0) + (first.c ?? 0)).toBe(70);
    down.clear();
    down.add('a');
    down.add('c');
    expect(new Set(picks(balancer, 10))).toEqual(new Set(['b']));
  });

  it('weighted over the healthy set keeps exact proportions among them', () => {
    const down = new Set(['a']);
    const balancer = new LoadBalancer({ service: 's', strategy: 'weighted', instances, isHealthy: (id) => !down.has(id) });
    expect(count(picks(balancer, 9))).toEqual({ b: 3, c: 6 });
  });

  it('throws NoHealthyInstanceError when nothing is in rotation', () => {
    const balancer = new LoadBalancer({ service: 'anpr', strategy: 'round_robin', instances, isHealthy: () => false });
    expect(() => balancer.pick()).toThrow(NoHealthyInstanceError);
    expect(() => balancer.pick()).toThrow(/no healthy instance of anpr/);
    expect(balancer.stats().choices).toEqual({ a: 0, b: 0, c: 0 });
  });

  it('validates instances', () => {
    expect(() => new LoadBalancer({ service: 's', strategy: 'round_robin', instances: [] })).toThrow(RangeError);
    expect(
      () =>
        new LoadBalancer({
          service: 's',
          strategy: 'weighted',
          instances: [
            { id: 'x', url: 'http://x' },
            { id: 'x', url: 'http://y' },
          ],
        }),
    ).toThrow(/unique/);
    expect(() => new LoadBalancer({ service: 's', strategy: 'weighted', instances: [{ id: 'x', url: 'u', weight: 0 }] })).toThrow(
      /weight/,
    );
  });

  it('round robin takes an added instance into the cycle and skips a removed one, from where it was', () => {
    const balancer = new LoadBalancer({ service: 's', strategy: 'round_robin', instances: [instances[0]!, instances[1]!] });
    expect(picks(balancer, 2)).toEqual(['a', 'b']);
    balancer.add({ id: 'c', url: 'http://c' });
    expect(picks(balancer, 3)).toEqual(['c', 'a', 'b']);
    expect(balancer.remove('a')).toBe(true);
    expect(picks(balancer, 4)).toEqual(['c', 'b', 'c', 'b']);
    expect(balancer.remove('a')).toBe(false);
    expect(() => balancer.add({ id: 'b', url: 'http://b2' })).toThrow(/unique/);
  });

  it('a removed instance drains: counted in flight until its last call is released, and cannot be re-added before', () => {
    const balancer = new LoadBalancer({ service: 's', strategy: 'round_robin', instances: [instances[0]!, instances[1]!] });
    const lease = balancer.acquire();
    expect(lease.instance.id).toBe('a');
    balancer.remove('a');
    expect(balancer.stats()).toMatchObject({ inFlight: { a: 1, b: 0 }, draining: ['a'] });
    expect(() => balancer.add({ id: 'a', url: 'http://a' })).toThrow(/draining/);
    expect(picks(balancer, 2)).toEqual(['b', 'b']);
    lease.release();
    expect(balancer.stats()).toMatchObject({ inFlight: { b: 0 }, draining: [] });
    balancer.add({ id: 'a', url: 'http://a' });
    expect(picks(balancer, 2).sort()).toEqual(['a', 'b']);
  });

  it('skips instances at their cap and fails fast when all are full', () => {
    const capped = [
      { id: 'a', url: 'http://a', maxConnections: 2 },
      { id: 'b', url: 'http://b', maxConnections: 1 },
    ];
    const balancer = new LoadBalancer({ service: 's', strategy: 'round_robin', instances: capped });
    const leases = [balancer.acquire(), balancer.acquire(), balancer.acquire()];
    expect(leases.map((l) => l.instance.id)).toEqual(['a', 'b', 'a']);
    expect(balancer.hasRoom()).toBe(false);
    expect(() => balancer.acquire()).toThrow(InstancesAtCapacityError);
    leases[1]!.release();
    expect(balancer.acquire().instance.id).toBe('b');
    expect(() => new LoadBalancer({ service: 's', strategy: 'round_robin', instances: [{ id: 'x', url: 'u', maxConnections: 0 }] })).toThrow(
      /maxConnections/,
    );
  });
});
