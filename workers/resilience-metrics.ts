import type { MetricMeter } from '@temporalio/common';
import type { CircuitBreaker, ResilienceRegistry } from '../resilience';

const BREAKER_STATE = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 } as const;
const HEALTH = { DOWN: 0, UNKNOWN: 0.5, UP: 1 } as const;

/**
 * Exports the resilience layer as metrics: breaker state and transitions, fallbacks taken
 * by kind, cache hits and misses, balancer choices and instance health. Counters follow the
 * registry's cumulative counts (the difference since the last look is added).
 */
export function exportResilienceMetrics(meter: MetricMeter, registry: ResilienceRegistry, breakers: CircuitBreaker[]) {
  const breakerState = meter.createGauge('resilience_breaker_state', 'int', '1', 'Breaker state: 0 closed, 1 half-open, 2 open');
  const transitions = meter.createCounter('resilience_breaker_transitions', '1', 'Breaker state changes');
  const fallbacks = meter.createCounter('resilience_fallbacks', '1', 'Fallbacks taken, by kind (alternative, cache)');
  const cacheHits = meter.createCounter('resilience_cache_hits', '1', 'Failed calls answered from the cache');
  const cacheMisses = meter.createCounter('resilience_cache_misses', '1', 'Failed calls the cache could not answer');
  const choices = meter.createCounter('resilience_balancer_choices', '1', 'Instances picked by the balancer');
  const health = meter.createGauge('resilience_instance_health', 'float', '1', 'Instance health: 1 up, 0.5 unknown, 0 down');

  for (const breaker of [...registry.serviceNames().map((n) => registry.service(n).breaker), ...breakers]) {
    const service = breaker.snapshot().name;
    breaker.onStateChange((from, to) => transitions.add(1, { service, from, to }));
  }

  const seen = new Map<string, number>();
  const addSince = (counter: typeof fallbacks, key: string, total: number, tags: Record<string, string>) => {
    const delta = total - (seen.get(key) ?? 0);
    if (delta > 0) counter.add(delta, tags);
    seen.set(key, total);
  };

  /** Reads the registry and updates the metrics; call it on an interval. */
  return function collect(): void {
    for (const [service, snapshot] of Object.entries(registry.snapshot().services)) {
      breakerState.set(BREAKER_STATE[snapshot.breaker.state], { service });
      for (const [kind, total] of Object.entries(snapshot.fallbacks)) addSince(fallbacks, `f:${service}:${kind}`, total, { service, kind });
      addSince(cacheHits, `h:${service}`, snapshot.cache.hits, { service });
      addSince(cacheMisses, `m:${service}`, snapshot.cache.misses, { service });
      for (const [instance, total] of Object.entries(snapshot.balancer.choices)) {
        addSince(choices, `c:${service}:${instance}`, total, { service, instance });
      }
      for (const instance of snapshot.instances) health.set(HEALTH[instance.status], { service, instance: instance.id });
    }
    for (const breaker of breakers) {
      const snapshot = breaker.snapshot();
      breakerState.set(BREAKER_STATE[snapshot.state], { service: snapshot.name });
    }
  };
}
