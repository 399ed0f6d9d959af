import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localActivityOf } from '../support/history';
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

  /** The worker's activity attempts that failed because the database was locked (its log). */
  const lockFailures = () =>
    world.workerLogEvents().filter((e) => e.msg === 'Activity failed' && /database is locked|SQLITE_BUSY/i.test(JSON.stringify(e.error)));

  /**
   * Every activity attempt a saga's history records as run to an end (completed or failed): an
   * ordinary activity by its started event, a local one by its marker. Temporal keeps only the
   * last attempt of each, so an attempt number above 1 means Temporal ran it again. A local
   * activity whose workflow task was lost (the worker stuck on the lock past the task's timeout)
   * runs again from attempt 1 in the task's next attempt: its marker, recorded after the failed
   * attempt, is the proof then (`recordedAt`).
   */
  interface RecordedAttempt {
    activityId: string;
    activityType: string;
    attempt: number;
    local: boolean;
    recordedAt: number;
  }
  async function recordedAttempts(sagaId: string): Promise<RecordedAttempt[]> {
    const events = (await world.temporal.workflow.getHandle(sagaId).fetchHistory()).events ?? [];
    const scheduled = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!]));
    return events.flatMap((e): RecordedAttempt[] => {
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const { activityId, activityType } = scheduled.get(String(started.scheduledEventId)) ?? {};
        return [{ activityId: String(activityId), activityType: String(activityType?.name), attempt: started.attempt ?? 1, local: false, recordedAt: 0 }];
      }
      const local = localActivityOf(e.markerRecordedEventAttributes);
      if (!local) return [];
      const recordedAt = Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
      return [{ activityId: local.activity_id, activityType: local.activity_type, attempt: local.attempt, local: true, recordedAt }];
    });
  }

  it('writers are locked out for seconds: activities retry, sagas finish after it returns, invariants hold', { timeout: 300_000 }, async () => {
    const startedAt = Date.now();
    const load = new Load(world, injectHttp(world), { lots: 2, lotCapacity: 20, stockPerProduct: 200, reservationSeconds: 10 });
    await load.setup();

    // The load runs until the lock is gone, so that sagas keep meeting it however long it is held.
    const run = load.run({ concurrency: 4 });
    await waitUntil('sagas under way', () => load.requests.length >= 8, 60_000);
    const lock = await world.lockDatabase();
    const lockedAt = Date.now();
    let duringLock: { status: number; body: string } | undefined;
    try {
      // An API write meanwhile is told to come back later (503), not given a 500.
      const write = await world.inject({ method: 'POST', url: '/lots', payload: { name: 'During the lock', capacity: 1 } });
      duringLock = { status: write.statusCode, body: write.body };
      // Held until a worker's step has given up on the lock (its write outlasted the busy budget)
      // and so is left to Temporal's retry: the state this test is about, however long it takes.
      await waitUntil('a saga step to fail on the locked database', () => lockFailures().length > 0, 120_000);
    } finally {
      await lock.release();
    }
    const releasedAt = Date.now();
    load.stop();
    await run;

    const metLock = load.inFlightBetween(lockedAt, releasedAt);
    const verdict = await finish(world, load);
    console.info(describeVerdict('database locked', verdict, startedAt), `; requests that met the lock: ${metLock.length}`);
    expect(duringLock?.status, duringLock?.body).toBe(503);
    expect(metLock.length).toBeGreaterThan(0);
    expect(load.abandoned).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
    // Every activity attempt that failed on the lock was run again by Temporal: its saga's history
    // records a later attempt of that activity. (Its saga then ended: requireFinal.)
    const failures = lockFailures();
    expect(failures.length).toBeGreaterThan(0);
    const notRetried: string[] = [];
    for (const f of failures) {
      const later = (await recordedAttempts(String(f.workflowId))).some(
        (a) =>
          a.activityId === String(f.activityId) &&
          a.activityType === f.activityType &&
          (a.attempt > Number(f.attempt) || (a.local && a.recordedAt > Number(f.time))),
      );
      if (!later) notRetried.push(`${f.workflowId} ${f.activityType}#${f.activityId} attempt ${f.attempt}`);
    }
    expect(notRetried).toEqual([]);
  });
});
