import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Db } from '../../db/client';
import { isUniqueViolation } from '../../domains/errors';

/** Rows whose window ended this many window lengths ago are deleted, at most once a window. */
const KEEP_WINDOWS = 2;

/**
 * Counts one request against `key` and answers the count in its window with the time left there.
 * A window starts at the key's first request and lasts `windowMs` (as @fastify/rate-limit's own
 * store does), but the counters live in the database that every API process shares, so a limit
 * of N holds for the platform, not N per replica. Each step is one atomic statement: increment
 * a live window, else restart an ended one, else create the row; a twin that loses a race at
 * one step finds the winner's row at the next pass.
 */
export async function countRequest(db: Db, key: string, windowMs: number, now: number): Promise<{ current: number; ttl: number }> {
  const liveSince = new Date(now - windowMs);
  for (let pass = 0; pass < 3; pass++) {
    const [live] = await db.rateCounter.updateManyAndReturn({
      where: { key, windowStart: { gt: liveSince } },
      data: { count: { increment: 1 } },
      select: { count: true, windowStart: true },
    });
    if (live) return { current: live.count, ttl: live.windowStart.getTime() + windowMs - now };
    const restarted = await db.rateCounter.updateMany({ where: { key, windowStart: { lte: liveSince } }, data: { windowStart: new Date(now), count: 1 } });
    if (restarted.count === 1) return { current: 1, ttl: windowMs };
    try {
      await db.rateCounter.create({ data: { key, windowStart: new Date(now), count: 1 } });
      return { current: 1, ttl: windowMs };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error(`rate counter ${key}: no pass settled (contention)`);
}

/** A @fastify/rate-limit store that counts in the database (countRequest) and sweeps ended windows. */
export function databaseRateStore(db: Db, scope = ''): FastifyRateLimitStoreCtor {
  let lastSweep = 0;
  const sweep = (windowMs: number, now: number) => {
    if (now - lastSweep < windowMs) return;
    lastSweep = now;
    // Best effort: rows a failed sweep leaves are deleted by the next one.
    db.rateCounter.deleteMany({ where: { windowStart: { lt: new Date(now - KEEP_WINDOWS * windowMs) } } }).catch(() => {});
  };
  const store: FastifyRateLimitStore = {
    incr(key, callback, timeWindow) {
      const now = Date.now();
      countRequest(db, `${scope}${key}`, timeWindow, now).then(
        (result) => callback(null, result),
        (err: Error) => callback(err),
      );
      sweep(timeWindow, now);
    },
    child: () => store,
  };
  // @fastify/rate-limit constructs the store it is given; this one is made already.
  return function shared() {
    return store;
  } as unknown as FastifyRateLimitStoreCtor;
}
