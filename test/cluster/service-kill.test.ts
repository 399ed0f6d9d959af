import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes';
import { describeVerdict, finish } from '../reliability/support/finish';
import { Load, injectHttp } from '../reliability/support/load';
import { World } from '../reliability/support/world';
import { killService, serviceAlive, servicePid, startService } from './support';

/**
 * The cluster's history service process dies (SIGKILL) in the middle of a burst and is started
 * again; later the matching service likewise. Shards move back to the new history process,
 * task queues to the new matching process; the worker and the clients ride it out. No saga is
 * lost: each ends, or waits for an operator with a reason (finish() plays the operator).
 */
let world: World;
beforeAll(async () => {
  world = await World.start({ name: 'cluster-service-kill', sagaWaitMs: 2000 });
});
afterAll(async () => {
  // Whatever happened, the shared cluster is whole again for the next file.
  for (const name of ['history', 'matching'] as const) if (!serviceAlive(name)) startService(name);
  await world?.close();
});

describe('history, then matching, SIGKILLed and restarted mid-burst', () => {
  it('every saga ends (or waits for an operator with a reason), none twice', async () => {
    const startedAt = Date.now();
    const load = new Load(world, injectHttp(world), { lots: 2, lotCapacity: 20, stockPerProduct: 200, reservationSeconds: 10 });
    await load.setup();
    await world.domains.faults.arm('plates.createEntryRecord', { delayMs: 1000 });
    await world.domains.faults.arm('inventory.reserveStock', { delayMs: 1000 });
    const run = load.run({ concurrency: 4, operations: 36 });

    const kills: Array<{ name: 'history' | 'matching'; pids: number[] }> = [];
    for (const [name, after] of [['history', 8], ['matching', 20]] as const) {
      await waitUntil(`${after} requests sent`, () => load.requests.length >= after, 120_000);
      const before = servicePid(name);
      await killService(name, 'SIGKILL');
      startService(name);
      kills.push({ name, pids: [before, servicePid(name)] });
    }
    await run;

    const verdict = await finish(world, load, { failedAllowed: 0 });
    console.info(describeVerdict('cluster history+matching SIGKILL', verdict, startedAt));
    for (const k of kills) expect(k.pids[1], `${k.name} runs as a new process`).not.toBe(k.pids[0]);
    expect(load.abandoned).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
    expect(world.worker?.exitCode).toBeNull(); // the worker rode out both restarts
  });
});
