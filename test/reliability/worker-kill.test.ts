import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes';
import { describeVerdict, finish } from './support/finish';
import { Load, injectHttp } from './support/load';
import { World } from './support/world';

/**
 * The worker dies without a goodbye (SIGKILL) while sagas are in the middle of a slow step,
 * twice; a new worker takes over. Temporal times out the lost activity attempts and retries
 * them on the new worker: every saga finishes, and every effect happened once.
 */
let world: World;
beforeAll(async () => {
  world = await World.start({ name: 'worker-kill', sagaWaitMs: 300 });
});
afterAll(async () => world?.close());

/** PendingActivityState.PENDING_ACTIVITY_STATE_STARTED: a worker has the attempt in hand. */
const STARTED = 2;

/** Sagas with an attempt of activity `step` (the `attempt`th or a later one) running on a worker now. */
async function inFlight(sagaIds: string[], step: string, attempt = 1): Promise<string[]> {
  const hits: string[] = [];
  for (const id of sagaIds) {
    const { raw } = await world.temporal.workflow.getHandle(id).describe();
    if ((raw.pendingActivities ?? []).some((a) => a.activityType?.name === step && a.state === STARTED && (a.attempt ?? 1) >= attempt)) hits.push(id);
  }
  return hits;
}

describe('worker killed mid-saga', () => {
  it('SIGKILL during a slow step, twice: every saga finishes once on the next worker', { timeout: 300_000 }, async () => {
    const startedAt = Date.now();
    const load = new Load(world, injectHttp(world), { lots: 2, lotCapacity: 12, stockPerProduct: 200 });
    await load.setup();
    // Slow steps: the entry record, the order's confirmation and the reservation's hold.
    for (const point of ['plates.createEntryRecord', 'orders.confirmOrder', 'parking.holdSpace']) {
      await world.domains.faults.arm(point, { delayMs: 4000 });
    }
    await Promise.all([
      ...Array.from({ length: 8 }, () => load.enter()),
      ...Array.from({ length: 4 }, () => load.order()),
      ...Array.from({ length: 3 }, () => load.reserve()),
    ]);
    const entries = load.requests.filter((r) => r.kind === 'entry').map((r) => r.sagaId);
    const orders = load.requests.filter((r) => r.kind === 'order').map((r) => r.sagaId);

    // First kill: while entry records are being written.
    await waitUntil('entry records in flight', async () => (await inFlight(entries, 'createEntryRecord')).length >= 4, 60_000);
    await world.killWorker('SIGKILL');
    await world.startWorker();

    // Second kill: while the retried attempts (on the new worker) are in flight.
    await waitUntil('retried entry records in flight', async () => (await inFlight(entries, 'createEntryRecord', 2)).length >= 1, 60_000);
    await world.killWorker('SIGKILL');
    await world.startWorker();
    await world.db.faultSwitch.deleteMany({});

    const verdict = await finish(world, load);
    console.info(describeVerdict('worker SIGKILL', verdict, startedAt));
    expect(verdict.violations).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    // A dead worker is not a reason to give up: no saga failed because of the kills.
    for (const id of [...entries, ...orders]) {
      const state = verdict.sagas.get(id)?.state;
      expect(state?.reason, `${id}: ${JSON.stringify(state?.steps)}`).not.toBe('STEP_FAILED');
    }
    for (const id of entries) expect(verdict.sagas.get(id)?.state?.status).toBe('COMPLETED');
    // The kills did hit: some entry record was written only by a third attempt (two were lost).
    const attempts = entries.map((id) => verdict.sagas.get(id)?.state?.steps.find((s) => s.name === 'createEntryRecord')?.attempts ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(3);
  });
});
