import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../simulators/start';
import { FINAL_STATUSES } from '../workflows/saga/state';
import { startOwnWorker, vendorCalls, type OwnWorker } from './support/own-worker';
import { connectStack, createLot, stepOf, uniquePlate, waitForSaga, type TestStack } from './support/stack';

/**
 * Seed 003's discovery, end to end: while vehicle-entry sagas run on a worker of this file's
 * own, a third ANPR primary is added to the services file and one is removed; the worker
 * applies both without a restart, and GET /admin/instances and the vendors' call counts show
 * the rotation following.
 */
const SAGA_WAIT_MS = 30_000;

let worker: OwnWorker;
let stack: TestStack;
let third: RunningSimulator;
const servicesFile = () => join(inject('stack').dir, 'instances-services.json');

beforeAll(async () => {
  worker = await startOwnWorker('instances', {}, {
    configure: (config) => {
      const anpr = config.services.anpr!;
      // Two passed probes before a new instance takes calls.
      anpr.healthCheck.healthyThreshold = 2;
      // This file is about rotation, not about slow vendors: the instances answer at once, and a
      // loaded machine must not make a probe or a call look failed (and send sagas to the backup).
      anpr.timeoutMs = 30_000;
      anpr.healthCheck.timeoutMs = 30_000;
    },
  });
  third = await startSimulator('anpr', { port: 0, name: 'anpr-3' });
  stack = await connectStack({ taskQueue: worker.taskQueue, waitMs: SAGA_WAIT_MS });
});
afterAll(async () => {
  await stack?.close();
  await worker?.stop();
  await third?.close();
});

interface InstanceView {
  id: string;
  inRotation: boolean;
  joining: boolean;
  tags: string[];
  metadata: Record<string, string>;
}
interface ServiceInstances {
  instances: InstanceView[];
  draining: string[];
}

/** Polls GET /admin/instances until this worker's view of the service satisfies `done`. */
async function waitForInstances(done: (s: ServiceInstances) => boolean, timeoutMs = 30_000): Promise<ServiceInstances> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await stack.app.inject({ method: 'GET', url: '/admin/instances' });
    expect(res.statusCode).toBe(200);
    const mine = (res.json().workers as Array<{ workerId: string; services: Record<string, ServiceInstances> }>).find(
      (w) => w.workerId === worker.workerId,
    );
    const anpr = mine?.services.anpr;
    if (anpr && done(anpr)) return anpr;
    if (Date.now() > deadline) throw new Error(`anpr never reached the expected state: ${JSON.stringify(anpr)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function editServicesFile(edit: (instances: Array<Record<string, unknown>>) => Array<Record<string, unknown>>) {
  const config = JSON.parse(await readFile(servicesFile(), 'utf8'));
  config.services.anpr.instances = edit(config.services.anpr.instances);
  await writeFile(servicesFile(), JSON.stringify(config, null, 1));
}

/** Vehicle entries one after another until stopped: sagas running while the instances change. */
function traffic(lotId: string) {
  let running = true;
  const ended: Array<{ status: string; via: string | undefined }> = [];
  const done = (async () => {
    while (running) {
      const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId, plate: uniquePlate() } });
      const state = await waitForSaga(stack, res.json().sagaId, (s) => FINAL_STATUSES.includes(s.status));
      ended.push({ status: state.status, via: stepOf(state, 'verifyPlate').via });
    }
  })();
  return {
    ended,
    async stop() {
      running = false;
      await done;
      return ended;
    },
  };
}

describe('instances that come and go while sagas run', () => {
  it('a third primary joins rotation after its checks, a removed one drains and takes no more calls', async () => {
    const lot = await createLot(stack, { capacity: 10_000 });
    const cars = traffic(lot.id);
    await waitForInstances((s) => s.instances.every((i) => i.inRotation));

    await editServicesFile((instances) => [...instances, { id: 'anpr-3', url: third.url, tags: ['added'], metadata: { zone: 'c' } }]);
    const joined = await waitForInstances((s) => s.instances.find((i) => i.id === 'anpr-3')?.inRotation === true);
    expect(joined.instances.find((i) => i.id === 'anpr-3')).toMatchObject({ joining: false, tags: ['added'], metadata: { zone: 'c' } });
    // Rotation follows: the sagas' plate checks reach the new instance.
    const seenBefore = cars.ended.length;
    await waitForCondition(async () => (await stats(third)) > 0 && cars.ended.length > seenBefore);

    await editServicesFile((instances) => instances.filter((i) => i.id !== 'anpr-1'));
    await waitForInstances((s) => !s.instances.some((i) => i.id === 'anpr-1') && s.draining.length === 0);
    const anpr1After = await vendorCalls(worker.vendors, 'anpr-1');
    const [anpr2Before, anpr3Before] = [await vendorCalls(worker.vendors, 'anpr-2'), await stats(third)];
    const endedBefore = cars.ended.length;
    await waitForCondition(async () => cars.ended.length >= endedBefore + 4);
    const ended = await cars.stop();

    // Removed: no call reached anpr-1 after it drained; the two left shared the sagas since.
    expect(await vendorCalls(worker.vendors, 'anpr-1')).toBe(anpr1After);
    expect((await vendorCalls(worker.vendors, 'anpr-2')) - anpr2Before).toBeGreaterThan(0);
    expect((await stats(third)) - anpr3Before).toBeGreaterThan(0);
    // Every saga that ran meanwhile went through, each through a primary instance.
    expect(ended.length).toBeGreaterThan(4);
    for (const saga of ended) {
      expect(saga.status).toBe('COMPLETED');
      expect(saga.via).toMatch(/^primary:anpr-[123]$/);
    }
    expect(ended.slice(endedBefore + 1).every((s) => s.via !== 'primary:anpr-1')).toBe(true);
  });

  it('lists instances to admins only', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/admin/instances', headers: { authorization: `Bearer ${stack.token('operator')}` } });
    expect(res.statusCode).toBe(403);
    expect((await stack.app.inject({ method: 'GET', url: '/admin/instances', headers: { authorization: '' } })).statusCode).toBe(401);
  });
});

async function stats(sim: RunningSimulator): Promise<number> {
  return ((await (await fetch(`${sim.url}/admin/stats`)).json()) as { calls: number }).calls;
}

/** Polls until the condition holds (a state, not a duration). */
async function waitForCondition(condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the condition never held');
    await new Promise((r) => setTimeout(r, 100));
  }
}
