import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINAL_STATUSES } from '../workflows/saga/state';
import { setVendorFaults, startOwnWorker, vendorCalls, type OwnWorker } from './support/own-worker';
import { connectStack, createLot, lotCounts, stepOf, uniquePlate, waitForSaga, type TestStack } from './support/stack';
import { TEST_BREAKER } from './support/vendors';

/**
 * Fallbacks in a running saga, against real vendor simulators over HTTP: this file has
 * its own worker and vendors, so breaking them disturbs no other test file.
 */

/** How long one saga may take here: the API's wait for its answer. */
const SAGA_WAIT_MS = 30_000;
/**
 * This worker's breakers stay OPEN as long as one saga may take, so that a saga started
 * right after a breaker opened makes its call while the breaker is still OPEN, however
 * slow the machine (the test vendors' 4 s would make that a race).
 */
const OPEN_WAIT_MS = SAGA_WAIT_MS;

let worker: OwnWorker;
let stack: TestStack;
beforeAll(async () => {
  worker = await startOwnWorker('resilience', {}, {
    configure: (config) => {
      for (const service of Object.values(config.services)) service.breaker.waitDurationInOpenState = OPEN_WAIT_MS;
    },
  });
  stack = await connectStack({ taskQueue: worker.taskQueue, waitMs: SAGA_WAIT_MS });
});
afterAll(async () => {
  await stack?.close();
  await worker?.stop();
});

interface ServiceView {
  status: string;
  breaker: { state: string; openedAt: number | null };
  instances: Array<{ id: string; inRotation: boolean; status: string }>;
  /** When the worker published this view. */
  publishedAt: number;
}

/** Polls this worker's published resilience snapshot until `done` holds for the service. */
async function waitForService(name: string, done: (s: ServiceView) => boolean, timeoutMs = 30_000): Promise<ServiceView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await stack.db.workerSnapshot.findUnique({ where: { workerId: worker.workerId } });
    const service = row && ({ ...JSON.parse(row.snapshot).services[name], publishedAt: row.updatedAt.getTime() } as ServiceView);
    if (service && done(service)) return service;
    if (Date.now() > deadline) throw new Error(`${name} never reached the expected state: ${JSON.stringify(service)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The service as this worker saw it after everything done so far: the worker computes a
 * snapshot and stamps it in one go, so one stamped later than now includes every call made before.
 */
function serviceNow(name: string): Promise<ServiceView> {
  const now = Date.now();
  return waitForService(name, (s) => s.publishedAt > now);
}

const inRotation = (s: ServiceView, id: string) => s.instances.find((i) => i.id === id)?.inRotation;
const allOut = (s: ServiceView) => s.instances.every((i) => !i.inRotation);

/** Enters a car and waits for the saga to end. */
async function enter(lotId: string, plate: string) {
  const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId, plate } });
  const body = res.json();
  const state = await waitForSaga(stack, body.sagaId, (s) => FINAL_STATUSES.includes(s.status));
  return { res, body, state, via: stepOf(state, 'verifyPlate').via };
}

async function leave(lotId: string, plate: string) {
  const res = await stack.app.inject({ method: 'POST', url: '/vehicle-exits', payload: { lotId, plate } });
  expect(res.statusCode).toBe(201);
}

const primaryCalls = async () => (await vendorCalls(worker.vendors, 'anpr-1')) + (await vendorCalls(worker.vendors, 'anpr-2'));

async function restoreAll() {
  for (const name of Object.keys(worker.vendors.byName)) await setVendorFaults(worker.vendors, name, { down: false, failRate: 0, latencyMs: 0 });
  await waitForService('anpr', (s) => s.instances.every((i) => i.inRotation) && s.breaker.state === 'CLOSED');
  await waitForService('anpr-backup', (s) => s.instances.every((i) => i.inRotation) && s.breaker.state === 'CLOSED');
}

describe('fallbacks in the vehicle entry saga', () => {
  it('verifies plates through the primary vendor and says which instance answered', async () => {
    const lot = await createLot(stack);
    const { res, via } = await enter(lot.id, uniquePlate());
    expect(res.statusCode).toBe(201);
    expect(via).toMatch(/^primary:anpr-[12]$/);
  });

  it('one of two primary instances down: every call succeeds through the other', async () => {
    await setVendorFaults(worker.vendors, 'anpr-1', { down: true });
    await waitForService('anpr', (s) => inRotation(s, 'anpr-1') === false);
    const before = await vendorCalls(worker.vendors, 'anpr-2');
    const lot = await createLot(stack, { capacity: 10 });
    const results = await Promise.all(Array.from({ length: 6 }, () => enter(lot.id, uniquePlate())));
    for (const { res, state, via } of results) {
      expect(res.statusCode).toBe(201);
      expect(via).toBe('primary:anpr-2');
      expect(stepOf(state, 'verifyPlate').attempts).toBe(1);
    }
    expect((await vendorCalls(worker.vendors, 'anpr-2')) - before).toBe(6);
    const health = (await stack.app.inject({ method: 'GET', url: '/health' })).json();
    expect(Object.keys(health.externalServices.services)).toEqual(expect.arrayContaining(['anpr', 'anpr-backup', 'payment', 'payment-backup']));
    await restoreAll();
  });

  // The outages below wait until the health checks have taken the instances out, so that no
  // call reaches a dead instance first: such calls would be breaker failures or not depending
  // on the checks' timing, and the breaker test below would start from a window of chance.

  it('primary vendor down: the entry completes through the backup vendor', async () => {
    await setVendorFaults(worker.vendors, 'anpr-1', { down: true });
    await setVendorFaults(worker.vendors, 'anpr-2', { down: true });
    await waitForService('anpr', allOut);
    const lot = await createLot(stack);
    const { res, via } = await enter(lot.id, uniquePlate());
    expect(res.statusCode).toBe(201);
    expect(via).toBe('alternative:anpr-backup');
    await restoreAll();
  });

  it('both vendors down: a plate verified within the TTL enters through the cache; an unseen one fails after retries and leaks nothing', async () => {
    const lot = await createLot(stack);
    const known = uniquePlate();
    expect((await enter(lot.id, known)).res.statusCode).toBe(201);
    await leave(lot.id, known);

    for (const name of ['anpr-1', 'anpr-2', 'anpr-backup-1']) await setVendorFaults(worker.vendors, name, { down: true });
    await waitForService('anpr', allOut);
    await waitForService('anpr-backup', allOut);
    const cached = await enter(lot.id, known);
    expect(cached.res.statusCode).toBe(201);
    expect(cached.via).toBe('cache');

    const unseen = uniquePlate();
    const failed = await enter(lot.id, unseen);
    expect(failed.res.statusCode).toBe(409);
    expect(failed.body).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED' });
    expect(failed.state.steps).toHaveLength(1);
    expect(stepOf(failed.state, 'verifyPlate')).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 1, free: 4 });
    expect(await stack.db.stay.count({ where: { plate: unseen } })).toBe(0);

    // Vendors down degrade sagas, not the platform: /health stays UP. Operators see the outage
    // in this worker's view on /resilience: every vendor instance DOWN and out of rotation, and
    // the breakers still CLOSED, since a vendor the health checks took out is not called at all.
    const health = await stack.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe('UP');
    const resilience = (await stack.app.inject({ method: 'GET', url: '/resilience' })).json();
    const view = resilience.workers.find((w: { workerId: string }) => w.workerId === worker.workerId).snapshot;
    for (const name of ['anpr', 'anpr-backup']) {
      expect(view.services[name]).toMatchObject({ status: 'DOWN', breaker: { state: 'CLOSED' } });
      for (const instance of view.services[name].instances) expect(instance).toMatchObject({ status: 'DOWN', inRotation: false });
    }
    await restoreAll();
  });

  it('an open breaker fails fast without calling the vendor, and closes again once it answers', async () => {
    for (const name of ['anpr-1', 'anpr-2']) await setVendorFaults(worker.vendors, name, { failRate: 1 });
    const lot = await createLot(stack, { capacity: 20 });
    // Failing calls trip the primary's breaker while the backup answers. How many it takes
    // depends on the successes still in the window: at most a window's worth, since a window
    // of failures alone is over the threshold. A call is in every snapshot stamped after it.
    let opened: ServiceView | undefined;
    for (let i = 0; i < TEST_BREAKER.slidingWindowSize && !opened; i++) {
      expect((await enter(lot.id, uniquePlate())).via).toBe('alternative:anpr-backup');
      const view = await serviceNow('anpr');
      if (view.breaker.state !== 'CLOSED') opened = view;
    }
    expect(opened?.breaker.state).toBe('OPEN');

    // A call while OPEN: the breaker is OPEN before it and, with the same openedAt, after it.
    const callsBefore = await primaryCalls();
    const whileOpen = await enter(lot.id, uniquePlate());
    const callsAfter = await primaryCalls();
    expect(await serviceNow('anpr')).toMatchObject({ breaker: { state: 'OPEN', openedAt: opened!.breaker.openedAt } });
    expect(whileOpen.via).toBe('alternative:anpr-backup');
    expect(callsAfter).toBe(callsBefore);

    // The vendors recover. After the open wait, the first call is the trial: it goes to the
    // primary, and its success closes the breaker.
    for (const name of ['anpr-1', 'anpr-2']) await setVendorFaults(worker.vendors, name, { failRate: 0 });
    await waitForService('anpr', (s) => s.breaker.state === 'HALF_OPEN', OPEN_WAIT_MS + 30_000);
    expect((await enter(lot.id, uniquePlate())).via).toMatch(/^primary:anpr-[12]$/);
    expect((await serviceNow('anpr')).breaker.state).toBe('CLOSED');
    await restoreAll();
  });
});
