import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes';
import { sagaOfKey } from './checks/context';
import { describeVerdict, finish } from './support/finish';
import { Load, injectHttp } from './support/load';
import { World } from './support/world';

/**
 * The worker dies without a goodbye (SIGKILL) while sagas are in the middle of a slow step,
 * twice; a new worker takes over. The slow steps are the order's payment capture (an ordinary
 * activity: Temporal times out the lost attempt and retries it on the new worker) and the
 * entry record (a local activity, run inside the saga's workflow task: the task times out and
 * the new worker runs the saga on from its last recorded step).
 * Then it dies four more times at the worst moment: a kill switch at a step's `.after` point
 * ends the worker right after the step's write committed, before it could report it. The
 * retry on the next worker must find the effect done and not do it again. Every saga
 * finishes, and every effect happened once (no saga may end FAILED).
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

/**
 * Kill switches after the write: where, how the load reaches it, and the saga step that the
 * kill cuts off (its retry must find the effect done).
 */
const AFTER_WRITE = [
  // A vendor effect (the gateway captured) and its record in our books, in an ordinary activity.
  { point: 'payments.capture.after', step: 'capturePayment', send: (load: Load) => load.order() },
  // Between the two writes of one local step: the stock is sold, the order not yet confirmed.
  { point: 'inventory.commitStock.after', step: 'confirmOrder', local: true, send: (load: Load) => load.order() },
  // A space held for a reservation, in a local step.
  { point: 'parking.holdSpace.after', step: 'holdSpace', local: true, send: (load: Load) => load.reserve() },
  // A local step: the stay is open, and the saga's workflow task dies with the worker.
  { point: 'parking.allocateSpace.after', step: 'allocateSpace', local: true, send: (load: Load) => load.enter() },
];

describe('worker killed mid-saga', () => {
  it('SIGKILL during a slow step, twice, then right after a write four times: every saga finishes once on the next worker', { timeout: 600_000 }, async () => {
    const startedAt = Date.now();
    const load = new Load(world, injectHttp(world), { lots: 2, lotCapacity: 12, stockPerProduct: 200 });
    await load.setup();
    // Slow steps: the entry record, the order's payment capture and the reservation's hold.
    for (const point of ['plates.createEntryRecord', 'payments.capture', 'parking.holdSpace']) {
      await world.domains.faults.arm(point, { delayMs: 4000 });
    }
    await Promise.all([
      ...Array.from({ length: 8 }, () => load.enter()),
      ...Array.from({ length: 8 }, () => load.order()),
      ...Array.from({ length: 3 }, () => load.reserve()),
    ]);
    const entries = load.requests.filter((r) => r.kind === 'entry').map((r) => r.sagaId);
    const orders = load.requests.filter((r) => r.kind === 'order').map((r) => r.sagaId);

    // First kill: while orders' payments are being captured and entries run their local steps.
    await waitUntil(
      'order captures and entry steps in flight',
      async () => (await activityInFlight(orders, 'capturePayment')).length >= 2 && (await workflowTaskInFlight(entries)).length >= 2,
      60_000,
    );
    await world.killWorker('SIGKILL');
    await world.startWorker();

    // Second kill: while the retried captures (on the new worker) are in flight.
    await waitUntil('retried order captures in flight', async () => (await activityInFlight(orders, 'capturePayment', 2)).length >= 1, 60_000);
    await world.killWorker('SIGKILL');
    await world.startWorker();
    await world.db.faultSwitch.deleteMany({});

    // Then after the write: one kill switch at a time, and a few sagas at a time sent through it
    // until it ends the worker (one may be refused before the point: a full lot, a plate that
    // holds a space).
    for (const { point, step, send } of AFTER_WRITE) {
      await world.domains.faults.arm(point, { kill: true, times: 1 });
      const sent: Array<Promise<unknown>> = [];
      for (let round = 0; round < 5 && world.workerAlive; round++) {
        sent.push(send(load), send(load), send(load));
        await world.waitForWorkerDeath(60_000);
      }
      expect(world.workerAlive, `the kill switch at ${point} to end the worker`).toBe(false);
      await world.startWorker();
      await Promise.all(sent);
      // The next kill waits until the saga this one cut off is past its step on the new worker:
      // a kill meanwhile would spend that step's retries on workers that are starting, which
      // tells how fast the machine is, not whether the effect is found.
      const cutOff = world.faultKills().at(-1)!.subjects.find((subject) => sagaOfKey(subject) !== subject);
      if (cutOff) {
        const sagaId = sagaOfKey(cutOff);
        await waitUntil(
          `${sagaId} past ${step} on the next worker`,
          async () => {
            const res = await world.inject({ method: 'GET', url: `/sagas/${sagaId}` });
            const state = res.statusCode === 200 ? (res.json() as { steps: Array<{ name: string; status: string }> }) : undefined;
            const status = state?.steps.find((s) => s.name === step)?.status;
            return status !== undefined && status !== 'RUNNING';
          },
          180_000,
        );
      }
    }

    const verdict = await finish(world, load, { failedAllowed: 0 });
    console.info(describeVerdict('worker SIGKILL', verdict, startedAt));
    expect(verdict.violations).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    // A dead worker is not a reason to give up: no saga failed because of the kills.
    for (const id of [...entries, ...orders]) {
      const state = verdict.sagas.get(id)?.state;
      expect(state?.reason, `${id}: ${JSON.stringify(state?.steps)}`).not.toBe('STEP_FAILED');
    }
    for (const id of entries) expect(verdict.sagas.get(id)?.state?.status).toBe('COMPLETED');
    // The kills did hit: some order's payment was captured only by a third attempt (two were
    // lost), and some entry's workflow task, with its local steps, died with a worker.
    const attempts = orders.map((id) => verdict.sagas.get(id)?.state?.steps.find((s) => s.name === 'capturePayment')?.attempts ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(3);
    const lost = await Promise.all(entries.map(lostWorkflowTasks));
    expect(Math.max(...lost)).toBeGreaterThanOrEqual(1);

    // Each kill switch ended a worker once, right after its write; the saga it cut off went on
    // past that step on the next worker, which found the effect done (the invariants above
    // say it was done once): an ordinary activity by a second attempt, the local step by
    // running the saga's lost workflow task again.
    const kills = world.faultKills();
    expect(kills.map((k) => k.point)).toEqual(AFTER_WRITE.map((a) => a.point));
    for (const [i, kill] of kills.entries()) {
      const sagaId = kill.subjects.map(sagaOfKey).find((id) => verdict.sagas.has(id));
      const step = verdict.sagas.get(sagaId ?? '')?.state?.steps.find((s) => s.name === AFTER_WRITE[i]!.step);
      expect(step?.status, `${kill.point} cut off ${sagaId}: ${JSON.stringify(step)}`).toBe('COMPLETED');
      if (AFTER_WRITE[i]!.local) expect(await lostWorkflowTasks(sagaId!)).toBeGreaterThanOrEqual(1);
      else expect(step!.attempts, `${kill.point} cut off ${sagaId}`).toBeGreaterThanOrEqual(2);
    }
  });
});
