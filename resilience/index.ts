export {
  AllAlternativesFailedError,
  BrokenCircuitError,
  ExternalServiceError,
  ExternalServiceRejection,
  NoHealthyInstanceError,
  describeError,
  isBusinessError,
  isCancelledCall,
  retryAfterMsOf,
} from './errors';
export type { ExternalServiceFailureKind } from './errors';
export { CountBasedSlidingWindow, FailureRateRule } from './sliding-window';
export type { FailureRateEvaluation, FailureRateRuleOptions } from './sliding-window';
export { CircuitBreaker } from './circuit-breaker';
export type {
  CircuitBreakerOptions,
  CircuitBreakerSettings,
  CircuitBreakerSnapshot,
  CircuitState,
  StateChangeListener,
} from './circuit-breaker';
export { CacheFallback, createMemoryCacheStore, createPrismaCacheStore } from './cache-fallback';
export type { CacheFallbackOptions, CacheFallbackStats, CacheResult, CacheStore, CachedEntry } from './cache-fallback';
export { BALANCER_STRATEGIES, LoadBalancer } from './load-balancer';
export type { BalancedInstance, BalancerStrategy, Lease, LoadBalancerOptions, LoadBalancerStats } from './load-balancer';
export { HealthChecker, aggregateStatus, isInRotation } from './health-checker';
export type {
  HealthCheckOptions,
  HealthCheckedInstance,
  HealthCheckerSettings,
  InstanceHealth,
  InstanceHealthStatus,
} from './health-checker';
export { AlternativeService } from './alternative-service';
export type { AlternativePath, AlternativeResult, AlternativeServiceOptions, FallbackEvent } from './alternative-service';
export { httpRequest } from './http-client';
export { currentCancellation, withCancellation } from './cancellation';
export type { HttpMethod, HttpRequest, HttpResponse } from './http-client';
export { ExternalService } from './external-service';
export type { CallOptions, ExternalServiceSettings, ExternalServiceSnapshot, ServiceResponse } from './external-service';
export { ResilientCaller } from './resilient-call';
export type { FallbackKind, ResilientCallerSettings, ResilientRequest, ResilientResult } from './resilient-call';
export { ResilienceRegistry } from './registry';
export type { ResilienceRegistryOptions, ResilienceSnapshot, ServiceSnapshot } from './registry';
