export {
  AllAlternativesFailedError,
  BrokenCircuitError,
  ExternalServiceError,
  ExternalServiceRejection,
  InstancesAtCapacityError,
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
export type { CacheContext, CacheFallbackEvent, CacheFallbackOptions, CacheFallbackStats, CacheStore, CachedEntry } from './cache-fallback';
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
export type { AlternativePath, AlternativeServiceOptions, FallbackEvent, PathContext } from './alternative-service';
export { wrap } from './policy';
export type { CallContext, Policy } from './policy';
export { runRequest } from './service-call';
export type { Answer, ServiceCall, ServiceRequest, ServiceResult } from './service-call';
export { httpRequest } from './http-client';
export { currentCancellation, withCancellation } from './cancellation';
export type { HttpMethod, HttpRequest, HttpResponse } from './http-client';
export { ExternalService } from './external-service';
export type { CallOptions, ExternalServiceSettings, ExternalServiceSnapshot, ServiceResponse } from './external-service';
export { ResilienceRegistry } from './registry';
export type { FallbackKind, ResilienceRegistryOptions, ResilienceSnapshot, ServiceSnapshot } from './registry';
