/**
 * A small in-process cache with a time to live, and hit/miss counters.
 *
 * Why in-process and not shared (Redis and the like): in the embedded profile the
 * catalog is read by ONE API process, so a Map next to the handler is the fastest
 * and simplest cache there is, and every write made in that process invalidates it
 * at once. Other processes (workers) that write products cannot reach it: the short
 * TTL bounds how stale an entry can get there. Anything that must not be stale
 * (pricing an order) reads around the cache.
 */
export interface TtlCacheStats {
  hits: number;
  misses: number;
  size: number;
  invalidations: number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private hits = 0;
  private misses = 0;
  private invalidations = 0;
  /** Bumped by clear(): a load that started before an invalidation does not cache its (maybe stale) answer. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 1000,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) {
      this.hits++;
      return entry.value;
    }
    if (entry) this.entries.delete(key);
    this.misses++;
    return undefined;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) {
      // Drop the oldest entry (Map keeps insertion order).
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  /** Returns the cached value or loads, caches and returns it. */
  async getOrLoad(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation) this.set(key, value);
    return value;
  }

  clear(): void {
    this.invalidations++;
    this.generation++;
    this.entries.clear();
  }

  stats(): TtlCacheStats {
    return { hits: this.hits, misses: this.misses, size: this.entries.size, invalidations: this.invalidations };
  }
}
