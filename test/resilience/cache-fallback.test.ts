import { describe, expect, it, vi } from 'vitest';
import { CacheFallback, createMemoryCacheStore, type CacheStore } from '../../resilience/cache-fallback';
import { manualClock } from './helpers';

const failing = () => Promise.reject(new Error('vendor down'));

/** One call under `key` through the cache: its value, and whether (and how old) the cache answered. */
async function run<T>(cache: CacheFallback, key: string, fn: () => Promise<T>) {
  const answer: { via?: string; cacheAgeMs?: number } = {};
  const value = await cache.execute(fn, { cacheKey: key, answer });
  return answer.via === 'cache' ? { value, fromCache: true, ageMs: answer.cacheAgeMs } : { value, fromCache: false };
}

function setup(ttlMs = 60_000) {
  const clock = manualClock();
  const store = createMemoryCacheStore();
  const cache = new CacheFallback({ ttlMs, store, now: clock.now });
  return { clock, store, cache };
}

describe('CacheFallback', () => {
  it('stores fresh answers and returns them as not from cache', async () => {
    const { cache, store } = setup();
    await expect(run(cache, 'k', async () => ({ plate: 'AB123' }))).resolves.toEqual({
      value: { plate: 'AB123' },
      fromCache: false,
    });
    expect(store.size()).toBe(1);
    expect(cache.stats()).toMatchObject({ stored: 1, hits: 0, misses: 0 });
  });

  it('answers a failed call from a cached entry younger than the TTL, with its age', async () => {
    const { cache, clock } = setup();
    await run(cache, 'k', async () => 'v1');
    clock.advance(59_999);
    const result = await run(cache, 'k', failing);
    expect(result).toMatchObject({ value: 'v1', fromCache: true, ageMs: 59_999 });
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it('rethrows the original error once the entry is as old as the TTL', async () => {
    const { cache, clock } = setup();
    await run(cache, 'k', async () => 'v1');
    clock.advance(60_000);
    await expect(run(cache, 'k', failing)).rejects.toThrow('vendor down');
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1, expired: 1 });
  });

  it('rethrows the original error when nothing is cached for the key', async () => {
    const { cache } = setup();
    await run(cache, 'other', async () => 'x');
    const original = new Error('vendor down');
    await expect(run(cache, 'k', () => Promise.reject(original))).rejects.toBe(original);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1, expired: 0 });
  });

  it('refreshes the entry on every success', async () => {
    const { cache, clock } = setup();
    await run(cache, 'k', async () => 'v1');
    clock.advance(50_000);
    await run(cache, 'k', async () => 'v2');
    clock.advance(50_000);
    await expect(run(cache, 'k', failing)).resolves.toMatchObject({ value: 'v2', ageMs: 50_000 });
  });

  it('does not fall back for errors it is told to pass through', async () => {
    const clock = manualClock();
    const cache = new CacheFallback({
      ttlMs: 60_000,
      store: createMemoryCacheStore(),
      now: clock.now,
      shouldFallback: (err) => (err as Error).message !== 'business',
    });
    await run(cache, 'k', async () => 'v1');
    await expect(run(cache, 'k', () => Promise.reject(new Error('business')))).rejects.toThrow('business');
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 });
  });

  it('still answers when the store cannot save, and treats an unreadable store as a miss', async () => {
    const broken: CacheStore = {
      get: () => Promise.reject(new Error('db down')),
      set: () => Promise.reject(new Error('db down')),
    };
    const onStoreError = vi.fn();
    const cache = new CacheFallback({ ttlMs: 1000, store: broken, onStoreError });
    await expect(run(cache, 'k', async () => 1)).resolves.toEqual({ value: 1, fromCache: false });
    expect(onStoreError).toHaveBeenCalledOnce();
    await expect(run(cache, 'k', failing)).rejects.toThrow('vendor down');
    expect(cache.stats()).toMatchObject({ storeErrors: 1, misses: 1 });
  });

  it('passes a call without a cache key through, storing nothing', async () => {
    const { cache, store } = setup();
    await expect(cache.execute(async () => 'v')).resolves.toBe('v');
    await expect(cache.execute(failing)).rejects.toThrow('vendor down');
    expect(store.size()).toBe(0);
    expect(cache.stats()).toMatchObject({ stored: 0, hits: 0, misses: 0 });
  });

  it('memory store hands out copies', async () => {
    const store = createMemoryCacheStore();
    const value = { n: 1 };
    await store.set('k', value, 5);
    value.n = 2;
    const entry = await store.get('k');
    expect(entry).toEqual({ value: { n: 1 }, storedAt: 5 });
    store.clear();
    expect(await store.get('k')).toBeUndefined();
  });
});
