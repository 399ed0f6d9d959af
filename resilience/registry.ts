/**
 * Builds the policies of every external service of the config: the service itself (health
 * checker, balancer, breaker), its alternatives (the service, then the services its config
 * names, each one attempt) and its cache fallback on the shared store. Each caller declares
 * its own chain of them (vendors/anpr.ts, vendors/payment-gateway.ts). Shows operators how
 * they all fare; logs and counts every fallback taken.
 *
 *   const registry = new ResilienceRegistry({ config: loadExternalServicesConfig(), logger, cacheStore });
 *   registry.start();                       // health checks on their intervals
 *   const anpr = wrap(registry.cache('anpr'), registry.alternatives('anpr'));
 *   const { value, via } = await runRequest(anpr, { method: 'POST', path: '/v1/plates/verify', body, cacheKey });
 *   registry.addInstance('anpr', { id: 'anpr-3', url }); // joins once its health checks pass
 *   registry.removeInstance('anpr', 'anpr-1');           // drains: calls in flight finish
 *   registry.snapshot();                    // for an operator endpoint
 *   registry.stop();
 */
import { instanceSchema, type ExternalServicesConfig } from '../config/external-services';
import type { Logger } from '../shared/logger';
import { CacheFallback, createMemoryCacheStore, type CacheFallbackStats, type CacheStore } from './cache-fallback';
import { AlternativeService } from './alternative-service';
import { describeError, isBusinessError as defaultIsBusinessError, isCancelledCall } from './errors';
import { ExternalService, type ExternalServiceSnapshot } from './external-service';
import { HealthChecker } from './health-checker';
import type { ServiceCall } from './service-call';

export type FallbackKind = 'alternative' | 'cache';

export interface ResilienceRegistryOptions {
  config: ExternalServicesConfig;
  logger: Logger;
  /** Where answers are cached for the cache fallback (default: in memory). Use createPrismaCacheStore(db) to share. */
  cacheStore?: CacheStore;
  now?: () => number;
  random?: () => number;
  isBusinessError?: (err: unknown) => boolean;
}

export interface ServiceSnapshot extends ExternalServiceSnapshot {
  alternatives: string[];
  cache: CacheFallbackStats;
  fallbacks: Record<FallbackKind, number>;
}

export interface ResilienceSnapshot {
  generatedAt: string;
  cacheTtlSeconds: number;
  services: Record<string, ServiceSnapshot>;
}

export class ResilienceRegistry {
  private readonly services = new Map<string, ExternalService>();
  private readonly alternativesByService = new Map<string, AlternativeService<ServiceCall>>();
  private readonly caches = new Map<string, CacheFallback<ServiceCall>>();
  private readonly fallbacks = new Map<string, Record<FallbackKind, number>>();
  private readonly healthCheckers: HealthChecker[] = [];
  private readonly config: ExternalServicesConfig;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(options: ResilienceRegistryOptions) {
    const { config, logger } = options;
    this.config = config;
    this.now = options.now ?? Date.now;
    this.logger = logger;
    const store = options.cacheStore ?? createMemoryCacheStore();
    const isBusinessError = options.isBusinessError ?? defaultIsBusinessError;
    const clock = options.now ? { now: options.now } : {};

    for (const [name, serviceConfig] of Object.entries(config.services)) {
      const health = new HealthChecker({
        service: name,
        instances: serviceConfig.instances,
        healthPath: serviceConfig.healthPath,
        ...serviceConfig.healthCheck,
        logger,
        ...clock,
      });
      this.healthCheckers.push(health);
      this.services.set(
        name,
        new ExternalService({
          name,
          config: serviceConfig,
          logger,
          health,
          ...clock,
          ...(options.random ? { random: options.random } : {}),
        }),
      );
      const counts = { alternative: 0, cache: 0 };
      this.fallbacks.set(name, counts);
      this.caches.set(
        name,
        new CacheFallback<ServiceCall>({
          ttlMs: config.cache.ttlSeconds * 1000,
          store,
          scope: name,
          ...clock,
          shouldFallback: (err) => !isBusinessError(err) && !isCancelledCall(err),
          onStoreError: (err, key) =>
            logger.warn({ event: 'resilience.cache_store_failed', service: name, key, reason: describeError(err) }, 'cache store failed'),
          onFallback: ({ key, ageMs, error }) => {
            counts.cache++;
            logger.warn(
              { event: 'resilience.fallback', kind: 'cache', service: name, key, ageMs, reason: describeError(error) },
              `${name}: every path failed, answered from cache`,
            );
          },
        }),
      );
    }
    for (const [name, serviceConfig] of Object.entries(config.services)) {
      const alternatives = serviceConfig.alternatives.map((alt) => {
        const service = this.services.get(alt);
        if (!service) throw new Error(`Invalid external services config:\n  services.${name}.alternatives: unknown service "${alt}"`);
        return service;
      });
      const counts = this.fallbacks.get(name)!;
      const paths = [
        { via: 'primary', policy: this.services.get(name)!.policy },
        ...alternatives.map((service) => ({ via: `alternative:${service.name}`, policy: service.policy })),
      ];
      this.alternativesByService.set(
        name,
        new AlternativeService<ServiceCall>(paths, {
          isBusinessError,
          onFallback: ({ from, to, error }) => {
            counts.alternative++;
            logger.warn(
              { event: 'resilience.fallback', kind: 'alternative', service: name, from, to, reason: describeError(error) },
              `${name}: ${from} failed, trying ${to}`,
            );
          },
        }),
      );
    }
  }

  /** The names of the configured services. */
  serviceNames(): string[] {
    return [...this.services.keys()];
  }

  /** One service alone (one attempt, no alternatives, no cache). */
  service(name: string): ExternalService {
    const service = this.services.get(name);
    if (!service) throw new Error(`unknown external service "${name}"`);
    return service;
  }

  /** The service, then its configured alternatives, in order (each one attempt; `alternatives: false` in the call: the service only). */
  alternatives(name: string): AlternativeService<ServiceCall> {
    return this.known(this.alternativesByService.get(name), name);
  }

  /** The service's cache fallback: for calls that name a `cacheKey`, the last good answer younger than the TTL. */
  cache(name: string): CacheFallback<ServiceCall> {
    return this.known(this.caches.get(name), name);
  }

  private known<P>(policy: P | undefined, name: string): P {
    if (!policy) throw new Error(`unknown external service "${name}"`);
    return policy;
  }

  /**
   * Registers an instance of a service at run time (validated like the config's instances:
   * throws naming the bad field, or on a duplicate id). It joins rotation once it passes
   * healthyThreshold health checks.
   */
  addInstance(serviceName: string, raw: unknown): void {
    const parsed = instanceSchema.safeParse(raw);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
      throw new RangeError(`Invalid instance of ${serviceName}:\n  ${problems.join('\n  ')}`);
    }
    this.service(serviceName).addInstance(parsed.data);
    this.logger.info(
      { event: 'resilience.instance_registered', service: serviceName, instance: parsed.data.id, url: parsed.data.url },
      `${serviceName}/${parsed.data.id} registered; joins rotation after its health checks`,
    );
  }

  /** Deregisters an instance: no new calls; calls in flight finish. False if it was not registered. */
  removeInstance(serviceName: string, instanceId: string): boolean {
    const removed = this.service(serviceName).removeInstance(instanceId);
    if (removed) {
      this.logger.info(
        { event: 'resilience.instance_deregistered', service: serviceName, instance: instanceId },
        `${serviceName}/${instanceId} deregistered; draining`,
      );
    }
    return removed;
  }

  /** Starts every health checker (timers do not keep the process alive). */
  start(): void {
    for (const checker of this.healthCheckers) checker.start();
  }

  stop(): void {
    for (const checker of this.healthCheckers) checker.stop();
  }

  /** Probes every instance of every service once. */
  async checkHealthNow(): Promise<void> {
    await Promise.all(this.healthCheckers.map((c) => c.checkNow()));
  }

  snapshot(): ResilienceSnapshot {
    const services: Record<string, ServiceSnapshot> = {};
    for (const [name, service] of this.services) {
      services[name] = {
        ...service.snapshot(),
        alternatives: [...service.config.alternatives],
        cache: this.caches.get(name)!.stats(),
        fallbacks: { ...this.fallbacks.get(name)! },
      };
    }
    return { generatedAt: new Date(this.now()).toISOString(), cacheTtlSeconds: this.config.cache.ttlSeconds, services };
  }
}
