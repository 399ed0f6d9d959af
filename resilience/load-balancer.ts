/**
 * Picks one instance of a service among those in rotation.
 * Strategies: round_robin, least_connections, random, weighted (smooth weighted
 * round robin: exact proportions over every cycle of sum(weights) picks).
 * Instances can be added and removed at run time: a removed one takes no new calls and
 * drains (its calls in flight finish and are counted until released). An instance with
 * `maxConnections` takes no more calls than that at once: the pick skips it while it is full,
 * and fails fast (InstancesAtCapacityError) when every instance in rotation is full.
 */
import { InstancesAtCapacityError, NoHealthyInstanceError } from './errors';
import type { CallContext } from './policy';

export type BalancerStrategy = 'round_robin' | 'least_connections' | 'random' | 'weighted';

export const BALANCER_STRATEGIES: readonly BalancerStrategy[] = ['round_robin', 'least_connections', 'random', 'weighted'];

export interface BalancedInstance {
  id: string;
  url: string;
  /** For the weighted strategy; a positive integer, default 1. */
  weight?: number;
  /** Cap on concurrent calls (seed 003's max_connections); none when absent. */
  maxConnections?: number;
}

export interface LoadBalancerOptions<I extends BalancedInstance> {
  /** Named in NoHealthyInstanceError. */
  service: string;
  strategy: BalancerStrategy;
  instances: readonly I[];
  /** Whether an instance is in rotation (default: every instance). */
  isHealthy?: (instanceId: string) => boolean;
  /** In [0, 1); injectable for the random strategy. */
  random?: () => number;
}

export interface LoadBalancerStats {
  strategy: BalancerStrategy;
  /** Picks per instance id. */
  choices: Record<string, number>;
  /** Calls currently running per instance id (through execute/acquire). */
  inFlight: Record<string, number>;
  /** Removed instances whose calls are still in flight. */
  draining: string[];
}

/** A picked instance; call release() once the call is over. */
export interface Lease<I> {
  instance: I;
  release(): void;
}

export class LoadBalancer<I extends BalancedInstance = BalancedInstance> {
  readonly service: string;
  readonly strategy: BalancerStrategy;
  private readonly instances: I[] = [];
  private readonly isHealthy: (instanceId: string) => boolean;
  private readonly random: () => number;
  private readonly choices = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  /** Smooth weighted round robin: the running weight of each instance. */
  private readonly currentWeight = new Map<string, number>();
  /** Index (in `instances`) of the last pick, for the rotating strategies. */
  private cursor = -1;

  constructor(options: LoadBalancerOptions<I>) {
    if (options.instances.length === 0) throw new RangeError(`${options.service}: at least one instance is needed`);
    this.service = options.service;
    this.strategy = options.strategy;
    for (const instance of options.instances) this.add(instance);
    this.isHealthy = options.isHealthy ?? (() => true);
    this.random = options.random ?? Math.random;
  }

  /** Puts an instance in the set (in rotation as soon as isHealthy says so). Throws on a duplicate id or a bad weight/cap. */
  add(instance: I): void {
    if (this.instances.some((i) => i.id === instance.id)) throw new RangeError(`${this.service}: instance ids must be unique (${instance.id})`);
    if (this.inFlight.has(instance.id)) throw new RangeError(`${this.service}: ${instance.id} is still draining`);
    const w = instance.weight ?? 1;
    if (!Number.isInteger(w) || w < 1) throw new RangeError(`${this.service}: weight of ${instance.id} must be an integer >= 1`);
    const cap = instance.maxConnections;
    if (cap !== undefined && (!Number.isInteger(cap) || cap < 1)) {
      throw new RangeError(`${this.service}: maxConnections of ${instance.id} must be an integer >= 1`);
    }
    this.instances.push(instance);
    this.choices.set(instance.id, this.choices.get(instance.id) ?? 0);
    this.inFlight.set(instance.id, 0);
    this.currentWeight.set(instance.id, 0);
  }

  /** Takes an instance out of the set: no new calls; its calls in flight finish (draining). False if unknown. */
  remove(instanceId: string): boolean {
    const index = this.instances.findIndex((i) => i.id === instanceId);
    if (index < 0) return false;
    this.instances.splice(index, 1);
    if (index <= this.cursor) this.cursor--;
    this.currentWeight.delete(instanceId);
    if ((this.inFlight.get(instanceId) ?? 0) === 0) this.inFlight.delete(instanceId);
    return true;
  }

  /** Every instance in the set (in rotation or not), in order. */
  members(): I[] {
    return [...this.instances];
  }

  /** The instances in rotation now, in configured order. */
  healthyInstances(): I[] {
    return this.instances.filter((i) => this.isHealthy(i.id));
  }

  /** Picks an instance and counts the choice. Throws NoHealthyInstanceError when none is in rotation. */
  pick(): I {
    const healthy = this.healthyIndexes();
    if (healthy.length === 0) throw new NoHealthyInstanceError(this.service);
    const free = healthy.filter((index) => this.hasRoom(this.instances[index]!));
    if (free.length === 0) throw new InstancesAtCapacityError(this.service);
    const index = this.choose(free);
    const instance = this.instances[index]!;
    this.cursor = index;
    this.choices.set(instance.id, (this.choices.get(instance.id) ?? 0) + 1);
    return instance;
  }

  /** Picks an instance and counts it in flight until release() (idempotent). */
  acquire(): Lease<I> {
    const instance = this.pick();
    this.inFlight.set(instance.id, (this.inFlight.get(instance.id) ?? 0) + 1);
    let released = false;
    return {
      instance,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.inFlight.get(instance.id) ?? 1) - 1;
        // A removed instance is forgotten once its last call is over.
        if (left === 0 && !this.instances.some((i) => i.id === instance.id)) this.inFlight.delete(instance.id);
        else this.inFlight.set(instance.id, left);
      },
    };
  }

  /** Runs fn on a picked instance (`context.instance`), counted in flight while it runs (a Policy). */
  async execute<T, C extends CallContext = CallContext>(fn: (context: C & { instance: I }) => Promise<T>, context: C = {} as C): Promise<T> {
    const lease = this.acquire();
    try {
      return await fn({ ...context, instance: lease.instance });
    } finally {
      lease.release();
    }
  }

  /** Whether some instance in rotation can take a call now (is below its cap). */
  hasRoom(instance?: I): boolean {
    if (instance) return instance.maxConnections === undefined || (this.inFlight.get(instance.id) ?? 0) < instance.maxConnections;
    return this.healthyInstances().some((i) => this.hasRoom(i));
  }

  stats(): LoadBalancerStats {
    const members = new Set(this.instances.map((i) => i.id));
    return {
      strategy: this.strategy,
      choices: Object.fromEntries(this.choices),
      inFlight: Object.fromEntries(this.inFlight),
      draining: [...this.inFlight.keys()].filter((id) => !members.has(id)),
    };
  }

  private healthyIndexes(): number[] {
    const out: number[] = [];
    this.instances.forEach((instance, index) => {
      if (this.isHealthy(instance.id)) out.push(index);
    });
    return out;
  }

  /** The healthy indexes starting after the last pick, wrapping around: the rotation order. */
  private rotation(healthy: number[]): number[] {
    const after = healthy.filter((i) => i > this.cursor);
    const before = healthy.filter((i) => i <= this.cursor);
    return [...after, ...before];
  }

  private choose(healthy: number[]): number {
    switch (this.strategy) {
      case 'round_robin':
        return this.rotation(healthy)[0]!;
      case 'random': {
        const r = this.random();
        const slot = Math.min(healthy.length - 1, Math.max(0, Math.floor(r * healthy.length)));
        return healthy[slot]!;
      }
      case 'least_connections': {
        // Fewest calls in flight; ties go to the next in rotation, so idle instances share the load.
        let best = -1;
        let bestLoad = Infinity;
        for (const index of this.rotation(healthy)) {
          const load = this.inFlight.get(this.instances[index]!.id) ?? 0;
          if (load < bestLoad) {
            best = index;
            bestLoad = load;
          }
        }
        return best;
      }
      case 'weighted': {
        // Smooth weighted round robin over the healthy set: every healthy instance gains its
        // weight, the heaviest is picked and pays back the total. Out-of-rotation instances restart at 0.
        let total = 0;
        let best = -1;
        let bestWeight = -Infinity;
        const healthySet = new Set(healthy);
        this.instances.forEach((instance, index) => {
          if (!healthySet.has(index)) {
            this.currentWeight.set(instance.id, 0);
            return;
          }
          const weight = instance.weight ?? 1;
          total += weight;
          const current = (this.currentWeight.get(instance.id) ?? 0) + weight;
          this.currentWeight.set(instance.id, current);
          if (current > bestWeight) {
            best = index;
            bestWeight = current;
          }
        });
        const chosen = this.instances[best]!;
        this.currentWeight.set(chosen.id, bestWeight - total);
        return best;
      }
    }
  }
}
