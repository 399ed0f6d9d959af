import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stopProcess, waitUntil } from '../support/processes';
import { describeVerdict, finish } from '../reliability/support/finish';
import { Load, injectHttp } from '../reliability/support/load';
import { World } from '../reliability/support/world';

/**
 * Two saga workers on one task queue; one dies without a goodbye (SIGKILL) while sagas are in
 * the middle of slow steps. The other finishes every saga, and every effect happens once.
 */
let world: World;
let survivor: ChildProcess;
let healthUrl: string;
beforeAll(async () => {
  world = await World.start({ name: 'cluster-worker-kill', sagaWaitMs: 300 });
  survivor = world.worker!;
  // The second worker (world.worker from here on) serves its health endpoint (workers/health.ts).
  const port = await freePort();
  healthUrl = `http://127.0.0.1:${port}/health`;
  await world.startWorker({ WORKER_HEALTH_PORT: String(port) });
});
afterAll(async () => world?.close());

/** PendingActivityState ..._STARTED: a worker has it in hand. */
const STARTED = 2;

describe('one of two workers killed mid-burst on the cluster', () => {
  it('SIGKILL of a worker with steps in hand: the other finishes every saga, none twice', async () => {
    const startedAt = Date.now();
    const probe = async (path: string) => {
      const res = await fetch(`${healthUrl}/${path}`, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    await waitUntil('the second worker to be ready (polling)', async () => (await probe('ready').catch(() => undefined))?.status === 200, 60_000);
    expect(await probe('ready')).toEqual({ status: 200, body: { status: 'UP', runState: 'RUNNING', workflowPoller: 'POLLING', activityPoller: 'POLLING' } });
    expect((await probe('live')).status).toBe(200);
    const load = new Load(world, injectHttp(world), { lots: 2, lotCapacity: 12, stockPerProduct: 200 });
    await load.setup();
    await world.domains.faults.arm('payments.capture', { delayMs: 3000 });
    await world.domains.faults.arm('plates.createEntryRecord', { delayMs: 3000 });
    const burst = Promise.all([...Array.from({ length: 8 }, () => load.enter()), ...Array.from({ length: 8 }, () => load.order())]);

    // Kill a worker once it holds an order's payment capture, an ordinary activity (worker identities are "pid@host").
    const workers = [survivor, world.worker!];
    const orders = () => load.requests.filter((r) => r.kind === 'order').map((r) => r.sagaId);
    let seen: string[] = [];
    const holder = async (): Promise<ChildProcess | undefined> => {
      seen = [];
      for (const id of orders()) {
        const { raw } = await world.temporal.workflow.getHandle(id).describe().catch(() => ({ raw: { pendingActivities: [] } }));
        for (const a of raw.pendingActivities ?? []) {
          seen.push(`${id}:${a.activityType?.name}:${a.state}:${a.lastWorkerIdentity}`);
          if (a.activityType?.name !== 'capturePayment' || a.state !== STARTED) continue;
          const found = workers.find((w) => a.lastWorkerIdentity?.startsWith(`${w.pid}@`));
          if (found) return found;
        }
      }
      return undefined;
    };
    let victim: ChildProcess | undefined;
    await waitUntil('a worker to hold an order capture', async () => (victim = await holder()) !== undefined, 90_000).catch((err: Error) => {
      throw new Error(`${err.message}; pending activities seen last: ${seen.join(', ')}`);
    });
    await stopProcess(victim, 'SIGKILL');
    const other = workers.find((w) => w !== victim)!;
    world.worker = other; // the one left: no new worker is started for the rest of the test
    await burst;

    const verdict = await finish(world, load, { failedAllowed: 0 });
    console.info(describeVerdict('cluster worker SIGKILL', verdict, startedAt));
    expect(victim!.signalCode).toBe('SIGKILL');
    // The second worker's endpoint: gone with it, or still ready if it was the survivor.
    if (victim === workers[1]) await expect(probe('live')).rejects.toThrow();
    else expect((await probe('ready')).status).toBe(200);
    expect(other.exitCode).toBeNull();
    expect(other.signalCode).toBeNull();
    expect(verdict.violations).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    for (const r of load.requests.filter((q) => q.kind === 'entry')) expect(verdict.sagas.get(r.sagaId)?.state?.status, r.sagaId).toBe('COMPLETED');
    // The kill did hit: a capture lost with the victim was done again, by the survivor.
    const attempts = orders().map((id) => verdict.sagas.get(id)?.state?.steps.find((s) => s.name === 'capturePayment')?.attempts ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
  });
});
