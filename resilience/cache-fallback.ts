/**
 * Last-known-good answers (a Policy): every successful answer of a call that names a cache
 * key is stored under it; when a later call under that key fails, a stored answer younger
 * than the TTL is served instead. Calls without a key pass through untouched.
 */
import type { Db } from '../db/client';
import type { CallContext, Policy } from './policy';

/** What CacheFallback reads and sets in the call's context. */
export interface CacheContext extends CallContext {
  /** The answer's key (scoped by the cache's `scope`); none: no caching for this call. */
  cacheKey?: string;
  /** Set when the cache answered: via "cache" and the answer's age. */
  answer?: { via?: string; cacheAgeMs?: number };
}

/** A failed call answered from the cache. */
export interface CacheFallbackEvent {
  key: string;
  ageMs: number;
  /** The failure the cached answer stands in for. */
  error: unknown;
}

export interface CachedEntry {
  value: unknown;
  /** Clock time (ms) the value was stored. */
  storedAt: number;
}

export interface CacheStore {
  get(key: string): Promise<CachedEntry | undefined>;
  set(key: string, value: unknown, storedAt: number): Promise<void>;
}

export interface CacheFallbackOptions {
  ttlMs: number;
  store: CacheStore;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
  /** Which errors may be answered from the cache (default: all). Business errors should not. */
  shouldFallback?: (err: unknown) => boolean;
  /** Told when storing an answer fails; the call still succeeds. */
  onStoreError?: (err: unknown, key: string) => void;
  /** Told each time a failed call is answered from the cache. */
  onFallback?: (event: CacheFallbackEvent) => void;
  /** Prefixed to every key (`<scope>:<key>`), e.g. the service's name. */
  scope?: string;
}

export interface CacheFallbackStats {
  /** Failed calls answered from the cache. */
  hits: number;
  /** Failed calls with nothing usable in the cache (absent, expired or unreadable). */
  misses: number;
  /** Of the misses, how many found an entry older than the TTL. */
  expired: number;
  /** Answers stored. */
  stored: number;
  /** Answers that could not be stored. */
  storeErrors: number;
}

export class CacheFallback<C extends CacheContext = CacheContext> implements Policy<C> {
  readonly ttlMs: number;
  private readonly store: CacheStore;
  private readonly now: () => number;
  private readonly shouldFallback: (err: unknown) => boolean;
  private readonly onStoreError: ((err: unknown, key: string) => void) | undefined;
  private readonly onFallback: ((event: CacheFallbackEvent) => void) | undefined;
  private readonly scope: string | undefined;
  private readonly counters: CacheFallbackStats = { hits: 0, misses: 0, expired: 0, stored: 0, storeErrors: 0 };

  constructor(options: CacheFallbackOptions) {
    if (!(options.ttlMs >= 0)) throw new RangeError(`ttlMs must be >= 0, got ${options.ttlMs}`);
    this.ttlMs = options.ttlMs;
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.shouldFallback = options.shouldFallback ?? (() => true);
    this.onStoreError = options.onStoreError;
    this.onFallback = options.onFallback;
    this.scope = options.scope;
  }

  /**
   * Runs fn; with `context.cacheKey`, stores and returns its answer, and when fn fails, answers
   * from a cached entry younger than the TTL (saying so in `context.answer`), else rethrows fn's error.
   */
  async execute<T>(fn: (context: C) => Promise<T>, context: C = {} as C): Promise<T> {
    if (context.cacheKey === undefined) return fn(context);
    const key = this.scope === undefined ? context.cacheKey : `${this.scope}:${context.cacheKey}`;
    let value: T;
    try {
      value = await fn(context);
    } catch (err) {
      if (!this.shouldFallback(err)) throw err;
      const cached = await this.lookup(key);
      if (!cached) throw err;
      if (context.answer) {
        context.answer.via = 'cache';
        context.answer.cacheAgeMs = cached.ageMs;
      }
      try {
        this.onFallback?.({ key, ageMs: cached.ageMs, error: err });
      } catch {
        // A listener must not break the call path.
      }
      return cached.value as T;
    }
    try {
      await this.store.set(key, value, this.now());
      this.counters.stored++;
    } catch (storeErr) {
      this.counters.storeErrors++;
      this.onStoreError?.(storeErr, key);
    }
    return value;
  }

  stats(): CacheFallbackStats {
    return { ...this.counters };
  }

  private async lookup(key: string): Promise<{ value: unknown; ageMs: number } | undefined> {
    let entry: CachedEntry | undefined;
    try {
      entry = await this.store.get(key);
    } catch {
      entry = undefined; // an unreadable cache is a miss; the caller gets the original error
    }
    if (!entry) {
      this.counters.misses++;
      return undefined;
    }
    const ageMs = Math.max(0, this.now() - entry.storedAt);
    if (ageMs >= this.ttlMs) {
      this.counters.misses++;
      this.counters.expired++;
      return undefined;
    }
    this.counters.hits++;
    return { value: entry.value, ageMs };
  }
}

/** A process-local store (tests, single-process dev). */
export function createMemoryCacheStore(): CacheStore & { size(): number; clear(): void } {
  const entries = new Map<string, CachedEntry>();
  return {
    async get(key) {
      const entry = entries.get(key);
      return entry ? { value: structuredClone(entry.value), storedAt: entry.storedAt } : undefined;
    },
    async set(key, value, storedAt) {
      entries.set(key, { value: structuredClone(value), storedAt });
    },
    size: () => entries.size,
    clear: () => entries.clear(),
  };
}

/** A store in the `CachedResponse` table, shared by every process on the database. Values are JSON. */
export function createPrismaCacheStore(db: Db): CacheStore {
  return {
    async get(key) {
      const row = await db.cachedResponse.findUnique({ where: { key } });
      if (!row) return undefined;
      return { value: JSON.parse(row.value) as unknown, storedAt: row.storedAt.getTime() };
    },
    async set(key, value, storedAt) {
      const json = JSON.stringify(value) ?? 'null';
      const at = new Date(storedAt);
      await db.cachedResponse.upsert({
        where: { key },
        create: { key, value: json, storedAt: at },
        update: { value: json, storedAt: at },
      });
    },
  };
}
