import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_KEY, uniquePlate } from '../support/stack';
import { waitUntil } from '../support/processes';
import { describeVerdict, finish } from '../reliability/support/finish';
import { Load, fetchHttp } from '../reliability/support/load';
import type { ApiProcess } from '../reliability/support/world';
import { World } from '../reliability/support/world';
import { killService, serviceAlive, startService } from './support';

/**
 * The frontend is stopped for a few seconds. Meanwhile an API process answers 503 to new work
 * (rather than hanging or failing with a 500), its readiness says DOWN (a load balancer takes
 * it out) while its liveness stays UP (nobody restarts it), and it recovers by itself once the
 * frontend is back: the same request, sent again, starts its saga.
 */
let world: World;
let api: ApiProcess;
beforeAll(async () => {
  world = await World.start({ name: 'cluster-frontend', sagaWaitMs: 5000 });
  api = await world.startApi();
});
afterAll(async () => {
  if (!serviceAlive('frontend')) startService('frontend');
  await world?.close();
});

const get = async (path: string) => (await fetch(`${api.url}${path}`, { signal: AbortSignal.timeout(30_000) })).status;

describe('the frontend away for a few seconds', () => {
  it('503 for new work and readiness DOWN meanwhile, liveness UP throughout; recovers by itself', async () => {
    const startedAt = Date.now();
    const load = new Load(world, fetchHttp(() => api.url), { lots: 1, lotCapacity: 10 });
    await load.setup();
    await load.enter();
    expect(await get('/health/ready')).toBe(200);
    const lotId = [...load.scope.lotIds][0]!;

    await killService('frontend', 'SIGTERM');
    const requestId = `${load.tag}-during-outage`;
    const body = { lotId, plate: uniquePlate(), requestId };
    const during = await fetch(`${api.url}/vehicle-entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-device-key': DEVICE_KEY },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    expect(during.status).toBe(503);
    expect(await get('/health/ready')).toBe(503);
    expect(await get('/health/live')).toBe(200);

    startService('frontend');
    await waitUntil('readiness to be UP again', async () => (await get('/health/ready')) === 200, 120_000);
    expect(await get('/health/live')).toBe(200);
    // The client sends the same request again: the saga starts (answered at once, or 202 while
    // the worker's pollers are still finding the frontend again) and completes.
    const again = await load.send('entry', '/vehicle-entries', `entry-${requestId}`, body, { 'x-device-key': DEVICE_KEY });
    expect([201, 202]).toContain(again?.status);

    const verdict = await finish(world, load, { failedAllowed: 0 });
    console.info(describeVerdict('cluster frontend outage', verdict, startedAt));
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
    expect(verdict.sagas.get(`entry-${requestId}`)?.state?.status).toBe('COMPLETED');
  });
});
