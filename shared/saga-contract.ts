/**
 * What activities and the saga kit agree on. Safe to import from workflow code:
 * types and plain constants only.
 */

/** What every saga step activity returns: the value and how it was obtained. */
export interface StepResult<T> {
  value: T;
  /** Temporal's attempt number for the execution that answered (1 for the first try). */
  attempt: number;
  /** Which path answered when a step has fallbacks: e.g. "primary", "alternative:anpr-backup", "cache". */
  via?: string;
}

/** The failure type of a business rejection; its details carry the rejection code. */
export const REJECTION_FAILURE = 'BusinessRejection';

/** The details attached to every failure an activity raises. */
export interface StepFailureDetails {
  attempt: number;
  /** Set for business rejections: INVALID_PLATE, LOT_FULL, ... */
  code?: string;
}

/**
 * Fallback strategies a saga step asks its activity to use (seed 001's
 * use_cache_fallback, use_circuit_breaker, alternative_services). Retries and
 * timeouts are not here: they are the step's Temporal retry policy.
 */
export interface StepFallbacks {
  /** When every path fails, answer with the last good answer younger than the cache TTL. */
  cacheFallback?: boolean;
  /** Fail fast while the dependency is known to be down (a circuit breaker in front of it). */
  circuitBreaker?: boolean;
  /** When the primary service is down or its breaker open, try its alternatives in order. */
  alternativeServices?: boolean;
}
