import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setVendorFaults, startOwnWorker, vendorCalls, type OwnWorker } from './support/own-worker';
import { connectStack, createLot, lotCounts, stepOf, uniquePlate, waitForSaga, type TestStack } from './support/stack';

/**
 * Fallbacks in a running saga, against real vendor simulators over HTTP: this file has
 * its own worker and vendors, so breaking them disturbs no other test file.
 */
let worker: OwnWorker;
let stack: TestStack;
beforeAll(async () => {
  worker = await startOwnWorker('resilience');
  stack = await connectStack({ taskQueue: worker.taskQueue, waitMs: 30_000 });
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
async function waitForService(name: string, done: (s: ServiceView) => boolean): Promise<ServiceView> {
  for (let i = 0; ; i++) {
    const row = await stack.db.workerSnapshot.findUnique({ where: { workerId: worker.workerId } });
    const service = row && ({ ...JSON.parse(row.snapshot).services[name], publishedAt: row.updatedAt.getTime() } as ServiceView);
    if (service && done(service)) return service;
    if (i > 300) throw new Error(`${name} never reached the expected state: ${JSON.stringify(service)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const inRotation = (s: ServiceView, id: string) => s.instances.find((i) => i.id === id)?.inRotation;

async function enter(lotId: string, plate: string) {
  const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId, plate } });
  const body = res.json();
  const state = await waitForSaga(stack, body.sagaId, () => true);
  return { res, body, state };
}

async function leave(lotId: string, plate: string) {
  const res = await stack.app.inject({ method: 'POST', url: '/vehicle-exits', payload: { lotId, plate } });
  expect(res.statusCode).toBe(201);
}

async function restoreAll() {
  for (const name of Object.keys(worker.vendors.byName)) await setVendorFaults(worker.vendors, name, { down: false, failRate: 0, latencyMs: 0 });
  await waitForService('anpr', (s) => s.instances.every((i) => i.inRotation) && s.breaker.state === 'CLOSED');
  await waitForService('anpr-backup', (s) => s.instances.every((i) => i.inRotation) && s.breaker.state === 'CLOSED');
}

describe('fallbacks in the vehicle entry saga', () => {
  it('verifies plates through the primary vendor and says which instance answered', async () => {
    const lot = await createLot(stack);
    const { res, state } = await enter(lot.id, uniquePlate());
    expect(res.statusCode).toBe(201);
    expect(stepOf(state, 'verifyPlate').via).toMatch(/^primary:anpr-[12]$/);
  });

  it('one of two primary instances down: every call succeeds through the other', async () => {
    await setVendorFaults(worker.vendors, 'anpr-1', { down: true });
    await waitForService('anpr', (s) => inRotation(s, 'anpr-1') === false);
    const before = await vendorCalls(worker.vendors, 'anpr-2');
    const lot = await createLot(stack, { capacity: 10 });
    const results = await Promise.all(Array.from({ length: 6 }, () => enter(lot.id, uniquePlate())));
    for (const { res, state } of results) {
      expect(res.statusCode).toBe(201);
      expect(stepOf(state, 'verifyPlate').via).toBe('primary:anpr-2');
      expect(stepOf(state, 'verifyPlate').attempts).toBe(1);
    }
    expect((await vendorCalls(worker.vendors, 'anpr-2')) - before).toBe(6);
    const health = (await stack.app.inject({ method: 'GET', url: '/health' })).json();
    expect(Object.keys(health.externalServices)).toEqual(expect.arrayContaining(['anpr', 'anpr-backup', 'payment', 'payment-backup']));
    await restoreAll();
  });

  it('primary vendor down: the entry completes through the backup vendor', async () => {
    await setVendorFaults(worker.vendors, 'anpr-1', { down: true });
    await setVendorFaults(worker.vendors, 'anpr-2', { down: true });
    const lot = await createLot(stack);
    const { res, state } = await enter(lot.id, uniquePlate());
    expect(res.statusCode).toBe(201);
    expect(stepOf(state, 'verifyPlate').via).toBe('alternative:anpr-backup');
    await restoreAll();
  });

  it('both vendors down: a plate verified within the TTL enters through the cache; an unseen one fails after retries and leaks nothing', async () => {
    const lot = await createLot(stack);
    const known = uniquePlate();
    expect((await enter(lot.id, known)).res.statusCode).toBe(201);
    await leave(lot.id, known);

    for (const name of ['anpr-1', 'anpr-2', 'anpr-backup-1']) await setVendorFaults(worker.vendors, name, { down: true });
    const cached = await enter(lot.id, known);
    expect(cached.res.statusCode).toBe(201);
    expect(stepOf(cached.state, 'verifyPlate').via).toBe('cache');

    const unseen = uniquePlate();
    const failed = await enter(lot.id, unseen);
    expect(failed.res.statusCode).toBe(409);
    expect(failed.body).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED' });
    expect(failed.state.steps).toHaveLength(1);
    expect(stepOf(failed.state, 'verifyPlate')).toMatchObject({ status: 'FAILED', attempts: 4 });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 1, free: 4 });
    expect(await stack.db.stay.count({ where: { plate: unseen } })).toBe(0);

    // The breaker opened on the failures and shows on /health.
    const health = (await stack.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.status).toBe('UP');
    await restoreAll();
  });

  it('an open breaker fails fast without calling the vendor, and closes again once it answers', async () => {
    for (const name of ['anpr-1', 'anpr-2']) await setVendorFaults(worker.vendors, name, { failRate: 1 });
    const lot = await createLot(stack, { capacity: 10 });
    // Failing calls trip the primary's breaker; the backup answers meanwhile.
    for (let i = 0; i < 3; i++) expect(stepOf((await enter(lot.id, uniquePlate())).state, 'verifyPlate').via).toBe('alternative:anpr-backup');
    // Observe one call made while the breaker stays OPEN the whole time (same openedAt before
    // and after, read from a snapshot published after the call): no request reaches the primary.
    let observed = false;
    for (let i = 0; i < 20 && !observed; i++) {
      const before = await waitForService('anpr', (s) => s.breaker.state === 'OPEN');
      const callsBefore = (await vendorCalls(worker.vendors, 'anpr-1')) + (await vendorCalls(worker.vendors, 'anpr-2'));
      const whileOpen = await enter(lot.id, uniquePlate());
      const callsAfter = (await vendorCalls(worker.vendors, 'anpr-1')) + (await vendorCalls(worker.vendors, 'anpr-2'));
      const doneAt = Date.now();
      const after = await waitForService('anpr', (s) => s.publishedAt > doneAt);
      if (after.breaker.state === 'OPEN' && after.breaker.openedAt === before.breaker.openedAt) {
        expect(stepOf(whileOpen.state, 'verifyPlate').via).toBe('alternative:anpr-backup');
        expect(callsAfter).toBe(callsBefore);
        observed = true;
      } else {
        // The breaker went half-open meanwhile: trip it again and take another look.
        await enter(lot.id, uniquePlate());
      }
    }
    expect(observed).toBe(true);

    for (const name of ['anpr-1', 'anpr-2']) await setVendorFaults(worker.vendors, name, { failRate: 0 });
    // After the open wait, a trial call through the primary closes the breaker.
    let via = '';
    for (let i = 0; i < 50 && !via.startsWith('primary'); i++) {
      via = stepOf((await enter(lot.id, uniquePlate())).state, 'verifyPlate').via ?? '';
      if (!via.startsWith('primary')) await new Promise((r) => setTimeout(r, 300));
    }
    expect(via).toMatch(/^primary:/);
    await waitForService('anpr', (s) => s.breaker.state === 'CLOSED');
    await restoreAll();
  });
});
