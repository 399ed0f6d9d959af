/**
 * The full fallback chain for one call, one attempt per path:
 *
 *   primary service (balancer → breaker → HTTP)
 *   → its alternatives, other named services, in order (each one attempt, never their own alternatives)
 *   → the cache, when the call names a cache key (last known good answer younger than the TTL)
 *
 * Business errors (a vendor's 4xx) stop the chain at once. The answer says which
 * path gave it: "primary:<instance id>", "alternative:<service name>" or "cache".
 * Every fallback taken is logged as one line and counted by kind.
 */
import type { Logger } from '../shared/logger';
import { AlternativeService, type AlternativePath } from './alternative-service';
import type { CacheFallback } from './cache-fallback';
import { currentCancellation } from './cancellation';
import { describeError, isBusinessError as defaultIsBusinessError } from './errors';
import type { CallOptions, ExternalService, ServiceResponse } from './external-service';
import type { HttpMethod } from './http-client';

export interface ResilientRequest extends CallOptions {
  method: HttpMethod;
  path: string;
  body?: unknown;
  /**
   * Answers are cached under this key (scoped by service) and served when every
   * path is out. Only for reads whose stale answer is acceptable; never for payments.
   */
  cacheKey?: string;
  /** Try the primary's alternatives when it fails (default true). */
  alternatives?: boolean;
}

export interface ResilientResult<T> {
  value: T;
  /** "primary:<instance id>", "alternative:<service name>" or "cache". */
  via: string;
  /** Set when via is "cache": how old the answer is. */
  cacheAgeMs?: number;
}

export type FallbackKind = 'alternative' | 'cache';

export interface ResilientCallerSettings {
  primary: ExternalService;
  alternatives?: readonly ExternalService[];
  cache?: CacheFallback;
  logger: Logger;
  isBusinessError?: (err: unknown) => boolean;
}

export class ResilientCaller {
  readonly primary: ExternalService;
  readonly alternatives: readonly ExternalService[];
  private readonly cache: CacheFallback | undefined;
  private readonly logger: Logger;
  private readonly isBusinessError: (err: unknown) => boolean;
  private readonly chain: AlternativeService;
  private readonly fallbacks: Record<FallbackKind, number> = { alternative: 0, cache: 0 };

  constructor(settings: ResilientCallerSettings) {
    this.primary = settings.primary;
    this.alternatives = settings.alternatives ?? [];
    this.cache = settings.cache;
    this.logger = settings.logger;
    this.isBusinessError = settings.isBusinessError ?? defaultIsBusinessError;
    this.chain = new AlternativeService({
      isBusinessError: this.isBusinessError,
      onFallback: ({ from, to, error }) => {
        this.fallbacks.alternative++;
        this.logger.warn(
          { event: 'resilience.fallback', kind: 'alternative', service: this.primary.name, from, to, reason: describeError(error) },
          `${this.primary.name}: ${from} failed, trying ${to}`,
        );
      },
    });
  }

  async call<T = unknown>(req: ResilientRequest): Promise<ResilientResult<T>> {
    const { method, path, body, cacheKey, alternatives = true, signal = currentCancellation(), ...rest } = req;
    const options = signal ? { ...rest, signal } : rest;
    const paths: AlternativePath<ServiceResponse<T>>[] = [
      { via: 'primary', call: () => this.primary.call<T>(method, path, body, options) },
      ...(alternatives ? this.alternatives : []).map((service) => ({
        via: `alternative:${service.name}`,
        call: () => service.call<T>(method, path, body, options),
      })),
    ];
    const viaOf = (via: string, res: ServiceResponse<T>) => (via === 'primary' ? `primary:${res.instance.id}` : via);

    if (cacheKey === undefined || !this.cache) {
      const res = await this.chain.execute(paths);
      return { value: res.value.value, via: viaOf(res.via, res.value) };
    }

    let via = '';
    const key = `${this.primary.name}:${cacheKey}`;
    const answer = await this.cache.execute(key, async () => {
      const res = await this.chain.execute(paths);
      via = viaOf(res.via, res.value);
      return res.value.value;
    });
    if (!answer.fromCache) return { value: answer.value, via };
    this.fallbacks.cache++;
    this.logger.warn(
      {
        event: 'resilience.fallback',
        kind: 'cache',
        service: this.primary.name,
        key,
        ageMs: answer.ageMs,
        reason: describeError(answer.error),
      },
      `${this.primary.name}: every path failed, answered from cache`,
    );
    return { value: answer.value, via: 'cache', cacheAgeMs: answer.ageMs };
  }

  /** Fallbacks taken, by kind: each switch to an alternative, each answer served from the cache. */
  fallbackCounts(): Record<FallbackKind, number> {
    return { ...this.fallbacks };
  }
}
