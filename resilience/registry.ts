/**
 * Builds every external service of the config (health checker, balancer, breaker),
 * one resilient caller per service (its alternatives and a cache fallback on the
 * shared store), and shows operators how they all fare.
 *
 *   const registry = new ResilienceRegistry({ config: loadExternalServicesConfig(), logger, cacheStore });
 *   registry.start();                       // health checks on their intervals
 *   const { value, via } = await registry.call('anpr', { method: 'POST', path: '/v1/plates/verify', body, cacheKey });
 *   registry.snapshot();                    // for an operator endpoint
 *   registry.stop();
 */
import type { ExternalServicesConfig } from '../config/external-services';
import type { Logger } from '../shared/logger';
import { CacheFallback, createMemoryCacheStore, type CacheFallbackStats, type CacheStore } from './cache-fallback';
import { describeError, isBusinessError as defaultIsBusinessError, isCancelledCall } from './errors';
import { ExternalService, type ExternalServiceSnapshot } from './external-service';
import { HealthChecker } from './health-checker';
import { ResilientCaller, type FallbackKind, type ResilientRequest, type ResilientResult } from './resilient-call';

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
  private readonly callers = new Map<string, ResilientCaller>();
  private readonly caches = new Map<string, CacheFallback>();
  private readonly healthCheckers: HealthChecker[] = [];
  private readonly config: ExternalServicesConfig;
  private readonly now: () => number;

  constructor(options: ResilienceRegistryOptions) {
    const { config, logger } = options;
    this.config = config;
    this.now = options.now ?? Date.now;
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
      this.caches.set(
        name,
        new CacheFallback({
          ttlMs: config.cache.ttlSeconds * 1000,
          store,
          ...clock,
          shouldFallback: (err) => !isBusinessError(err) && !isCancelledCall(err),
          onStoreError: (err, key) =>
            logger.warn({ event: 'resilience.cache_store_failed', service: name, key, reason: describeError(err) }, 'cache store failed'),
        }),
      );
    }
    for (const [name, serviceConfig] of Object.entries(config.services)) {
      const alternatives = serviceConfig.alternatives.map((alt) => {
        const service = this.services.get(alt);
        if (!service) throw new Error(`Invalid external services config:\n  services.${name}.alternatives: unknown service "${alt}"`);
        return service;
      });
      this.callers.set(
        name,
        new ResilientCaller({
          primary: this.services.get(name)!,
          alternatives,
          cache: this.caches.get(name)!,
          logger,
          isBusinessError,
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

  /** The caller that runs the full chain for a service. */
  caller(name: string): ResilientCaller {
    const caller = this.callers.get(name);
    if (!caller) throw new Error(`unknown external service "${name}"`);
    return caller;
  }

  /** primary → alternatives → cache (with req.cacheKey); see ResilientCaller. */
  call<T = unknown>(name: string, req: ResilientRequest): Promise<ResilientResult<T>> {
    return this.caller(name).call<T>(req);
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
        fallbacks: this.callers.get(name)!.fallbackCounts(),
      };
    }
    return { generatedAt: new Date(this.now()).toISOString(), cacheTtlSeconds: this.config.cache.ttlSeconds, services };
  }
}
