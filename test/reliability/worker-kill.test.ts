import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes';
import { describeVerdict, finish } from './support/finish';
import { Load, injectHttp } from './support/load';
import { World } from './support/world';

/**
 * The worker dies without a goodbye (SIGKILL) while sagas are in the middle of a slow step,
 * twice; a new worker takes over. The slow steps are the order's confirmation (an ordinary
 * activity: Temporal times out the lost attempt and retries it on the new worker) and the
 * entry record (a local activity, run inside the saga's workflow task: the task times out and
 * the new worker runs the saga on from its last recorded step). Every saga finishes, and
 * every effect happened once.
 */
let world: World;
beforeAll(async () => {
  world = await World.start({ name: 'worker-kill', sagaWaitMs: 300 });
});
afterAll(async () => world?.close());

/** PendingActivityState / PendingWorkflowTaskState ..._STARTED: a worker has it in hand. */
const STARTED = 2;
/** TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE: a worker took the task and never answered. */
const START_TO_CLOSE = 1;

/** Sagas with an attempt of activity `step` (the `attempt`th or a later one) running on a worker now. */
async function activityInFlight(sagaIds: string[], step: string, attempt = 1): Promise<string[]> {
  const hits: string[] = [];
  for (const id of sagaIds) {
    const { raw } = await world.temporal.workflow.getHandle(id).describe();
    if ((raw.pendingActivities ?? []).some((a) => a.activityType?.name === step && a.state === STARTED && (a.attempt ?? 1) >= attempt)) hits.push(id);
  }
  return hits;
}

/** Sagas whose workflow task (with the local steps it runs) a worker has in hand now. */
async function workflowTaskInFlight(sagaIds: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const id of sagaIds) {
    const { raw } = await world.temporal.workflow.getHandle(id).describe();
    if (raw.pendingWorkflowTask?.state === STARTED) hits.push(id);
  }
  return hits;
}

/** How many of the saga's workflow tasks a worker lost with the task in hand. */
async function lostWorkflowTasks(sagaId: string): Promise<number> {
  const history = await world.temporal.workflow.getHandle(sagaId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowTaskTimedOutEventAttributes?.timeoutType === START_TO_CLOSE).length;
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
      ...Array.from({ length: 8 }, () => load.order()),
      ...Array.from({ length: 3 }, () => load.reserve()),
    ]);
    const entries = load.requests.filter((r) => r.kind === 'entry').map((r) => r.sagaId);
    const orders = load.requests.filter((r) => r.kind === 'order').map((r) => r.sagaId);

    // First kill: while orders are being confirmed and entries run their local steps.
    await waitUntil(
      'order confirmations and entry steps in flight',
      async () => (await activityInFlight(orders, 'confirmOrder')).length >= 2 && (await workflowTaskInFlight(entries)).length >= 2,
      60_000,
    );
    await world.killWorker('SIGKILL');
    await world.startWorker();

    // Second kill: while the retried confirmations (on the new worker) are in flight.
    await waitUntil('retried order confirmations in flight', async () => (await activityInFlight(orders, 'confirmOrder', 2)).length >= 1, 60_000);
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
    // The kills did hit: some order was confirmed only by a third attempt (two were lost), and
    // some entry's workflow task, with its local steps, died with a worker.
    const attempts = orders.map((id) => verdict.sagas.get(id)?.state?.steps.find((s) => s.name === 'confirmOrder')?.attempts ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(3);
    const lost = await Promise.all(entries.map(lostWorkflowTasks));
    expect(Math.max(...lost)).toBeGreaterThanOrEqual(1);
  });
});
