import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes';
import { describeVerdict, finish } from './support/finish';
import { Load, injectHttp } from './support/load';
import { World } from './support/world';

/**
 * The Temporal server dies (SIGKILL) in the middle of a run and comes back on its persisted
 * file. This world has a server of its own (the suite's shared one is not touched), with its
 * own worker process. Sagas in flight resume where their history says they were; requests
 * made meanwhile are answered 503 and succeed when the client sends them again.
 */
let world: World;
beforeAll(async () => {
  world = await World.start({ name: 'temporal-kill', ownTemporal: true, sagaWaitMs: 2000 });
});
afterAll(async () => world?.close());

describe('Temporal server killed mid-run', () => {
  it('SIGKILL, then a restart on the same file: every saga resumes and finishes once', { timeout: 300_000 }, async () => {
    const startedAt = Date.now();
    const load = new Load(world, injectHttp(world), { lots: 2, lotCapacity: 20, stockPerProduct: 200, reservationSeconds: 10 });
    await load.setup();
    await world.domains.faults.arm('plates.createEntryRecord', { delayMs: 1500 });
    await world.domains.faults.arm('inventory.reserveStock', { delayMs: 1500 });

    const run = load.run({ concurrency: 4, operations: 40 });
    await waitUntil('sagas under way', () => load.requests.length >= 10, 60_000);
    const downAt = Date.now();
    await world.killTemporal();
    // Down for a while: the clients wait or get 503s and send again, the worker keeps trying to poll.
    await new Promise((r) => setTimeout(r, 4000));
    await world.startTemporal();
    const upAt = Date.now();
    await run;

    const metOutage = load.inFlightBetween(downAt, upAt);
    const verdict = await finish(world, load, { failedAllowed: 0 });
    console.info(describeVerdict('Temporal SIGKILL', verdict, startedAt), `; requests that met the outage: ${metOutage.length}`);
    expect(metOutage.length).toBeGreaterThan(0);
    expect(load.abandoned).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
    expect(world.worker?.exitCode).toBeNull(); // the worker rode out the outage
  });
});
