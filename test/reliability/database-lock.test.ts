import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes';
import { describeVerdict, finish } from './support/finish';
import { Load, injectHttp } from './support/load';
import { World } from './support/world';

/**
 * The database stops taking writes for a while: another connection holds SQLite's write lock
 * (BEGIN EXCLUSIVE) on this world's own database file, so no other test file is disturbed.
 * Writers wait out their busy timeout, fail, and Temporal retries the activity; once the
 * lock is gone the sagas finish, and nothing was done twice or left half done.
 * (SQLite only: on the PostgreSQL run there is no such lock to take.)
 */
const onSqlite = !process.env.TEST_DATABASE_URL;

describe.runIf(onSqlite)('database unavailable for a while', () => {
  let world: World;
  beforeAll(async () => {
    world = await World.start({ name: 'db-lock', sagaWaitMs: 1000 });
  });
  afterAll(async () => world?.close());

  it('writers are locked out for seconds: activities retry, sagas finish after it returns, invariants hold', { timeout: 300_000 }, async () => {
    const startedAt = Date.now();
    const load = new Load(world, injectHttp(world), { lots: 2, lotCapacity: 20, stockPerProduct: 200, reservationSeconds: 10 });
    await load.setup();

    const run = load.run({ concurrency: 4, operations: 40 });
    await waitUntil('sagas under way', () => load.requests.length >= 8, 60_000);
    const lock = await world.lockDatabase();
    const lockedAt = Date.now();
    let duringLock: { status: number; body: string } | undefined;
    try {
      // An API write meanwhile is told to come back later (503), not given a 500.
      const write = await world.inject({ method: 'POST', url: '/lots', payload: { name: 'During the lock', capacity: 1 } });
      duringLock = { status: write.statusCode, body: write.body };
      // Held longer than one busy timeout (5 s): some attempts fail and are retried by Temporal.
      await new Promise((r) => setTimeout(r, Math.max(0, 8000 - (Date.now() - lockedAt))));
    } finally {
      await lock.release();
    }
    const releasedAt = Date.now();
    await run;

    const metLock = load.inFlightBetween(lockedAt, releasedAt);
    const verdict = await finish(world, load);
    console.info(describeVerdict('database locked', verdict, startedAt), `; requests that met the lock: ${metLock.length}`);
    expect(duringLock?.status, duringLock?.body).toBe(503);
    expect(metLock.length).toBeGreaterThan(0);
    expect(load.abandoned).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
    // Some activity really failed on the lock and was retried.
    const retried = [...verdict.sagas.values()].some((s) => s.state?.steps.some((step) => step.attempts > 1 || step.compensationAttempts > 1));
    expect(retried).toBe(true);
  });
});
