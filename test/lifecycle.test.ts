import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workerEnv } from './support/global-setup';
import { localActivityOf } from './support/history';
import { startOwnWorker, type OwnWorker } from './support/own-worker';
import { freePort, spawnTs, stopProcess, waitUntil } from './support/processes';
import { DEVICE_KEY, armFault, connectStack, createLot, uniquePlate, waitForSaga, type TestStack } from './support/stack';

/** Most of a database step's 10 s timeout (workflows/policies.ts), and less than the worker's 10 s shutdown grace. */
const STEP_DELAY_MS = 6000;

/** The identity a worker process gives Temporal (the SDK's default: pid@host; workers/main.ts sets none). */
function workerIdentity(worker: OwnWorker | undefined): string {
  return `${worker?.process.pid}@${hostname()}`;
}

/**
 * How a local step ended, from the saga's history: when its recorded result was completed (the
 * marker's complete_time, the worker's clock) and who completed the workflow task that recorded
 * it (a local activity's marker names that task; its identity is the worker's).
 */
async function localStepEnds(stack: TestStack, sagaId: string, activityType: string): Promise<Array<{ completedAt: number; by: string }>> {
  const events = (await stack.temporal.workflow.getHandle(sagaId).fetchHistory()).events ?? [];
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  return events.flatMap((e) => {
    const marker = e.markerRecordedEventAttributes;
    const local = localActivityOf(marker);
    if (local?.activity_type !== activityType) return [];
    const task = byId.get(String(marker!.workflowTaskCompletedEventId))?.workflowTaskCompletedEventAttributes;
    const completedAt = local.complete_time ? local.complete_time.seconds * 1000 + Math.floor(local.complete_time.nanos / 1e6) : NaN;
    return [{ completedAt, by: task?.identity ?? '(no task)' }];
  });
}

describe('worker shutdown', () => {
  let first: OwnWorker;
  let second: OwnWorker | undefined;
  let stack: TestStack;
  beforeAll(async () => {
    first = await startOwnWorker('lifecycle');
    stack = await connectStack({ taskQueue: first.taskQueue, waitMs: 300 });
  });
  afterAll(async () => {
    await stack?.close();
    await second?.stop();
    await first?.stop();
  });

  it('SIGTERM lets the step in flight finish on the stopping worker, the worker exits, and the next worker completes the saga once', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `lifecycle-${plate}`;
    // A slow entry record, once: the switch is gone the moment the step has started its delay.
    // (The step is a local activity: the saga answers no query while it runs, so the switch tells.)
    // The delay is most of the step's 10 s timeout, so that the SIGTERM surely lands inside it.
    await armFault(stack, 'plates.createEntryRecord', requestId, 1, STEP_DELAY_MS);
    // Not awaited yet: once its short wait is over, the API asks the saga for its state, and that
    // query waits for the local step to end; the step must be watched while it runs.
    const answer = stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } });
    await waitUntil('the entry record to be in flight', async () => (await stack.db.faultSwitch.count({ where: { point: 'plates.createEntryRecord', match: requestId } })) === 0);

    const exited = new Promise<number | null>((resolve) => first.process.once('exit', (code) => resolve(code)));
    const sigtermAt = Date.now();
    first.process.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = readFileSync(join(inject('stack').dir, 'lifecycle-worker.log'), 'utf8');
    expect(log).toContain('worker stopped');

    // Same task queue, same vendors' config: the saga goes on where it was.
    second = await startOwnWorker('lifecycle-2', { TEMPORAL_TASK_QUEUE: first.taskQueue });
    const answered = await answer;
    expect([201, 202], answered.body).toContain(answered.statusCode);
    const { sagaId } = answered.json();
    const done = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPLETED');
    expect(done.steps.every((s) => s.status === 'COMPLETED')).toBe(true);
    expect(done.steps.map((s) => s.name)).toContain('createEntryRecord');
    expect(await stack.db.stay.count({ where: { plate } })).toBe(1);
    expect(await stack.db.entryRecord.count({ where: { plate } })).toBe(1);

    // The step was still running when the signal went out (its result was completed after it),
    // and the worker being stopped finished it: the workflow task that recorded the result was
    // completed by the first worker, not by the second.
    const ends = await localStepEnds(stack, sagaId, 'createEntryRecord');
    expect(ends).toHaveLength(1);
    expect(ends[0]!.completedAt, 'the step had ended before the SIGTERM: it was not in flight').toBeGreaterThan(sigtermAt);
    expect(ends[0]!.by).toBe(workerIdentity(first));
    expect(workerIdentity(first)).not.toBe(workerIdentity(second));
  });
});

describe('API shutdown', () => {
  it('SIGTERM answers the requests in flight, then the API exits', async () => {
    const stack = await connectStack();
    try {
      const info = inject('stack');
      const port = await freePort();
      const log = join(info.dir, 'lifecycle-api.log');
      const api = spawnTs('api/server.ts', { ...workerEnv(info), PORT: String(port), SAGA_WAIT_MS: '2000' }, log);
      await waitUntil('the API to listen', async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok === true);

      // A gated entry keeps the request waiting for SAGA_WAIT_MS before its 202.
      const lot = await createLot(stack, { requireGateConfirmation: true, gateTimeoutSeconds: 600 });
      const inFlight = fetch(`http://127.0.0.1:${port}/vehicle-entries`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-key': DEVICE_KEY },
        body: JSON.stringify({ lotId: lot.id, plate: uniquePlate() }),
      });
      await waitUntil('the request to reach the API', () => readFileSync(log, 'utf8').includes('/vehicle-entries'));
      const exited = new Promise<number | null>((resolve) => api.once('exit', (code) => resolve(code)));
      api.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(202);
      expect(await exited).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      await stopProcess(api);
    } finally {
      await stack.close();
    }
  });
});
