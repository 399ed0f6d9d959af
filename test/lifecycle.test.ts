import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workerEnv } from './support/global-setup';
import { startOwnWorker, type OwnWorker } from './support/own-worker';
import { freePort, spawnTs, stopProcess, waitUntil } from './support/processes';
import { DEVICE_KEY, armFault, connectStack, createLot, uniquePlate, waitForSaga, type TestStack } from './support/stack';

describe('worker shutdown', () => {
  let first: OwnWorker;
  let second: OwnWorker | undefined;
  let stack: TestStack;
  beforeAll(async () => {
    first = await startOwnWorker('lifecycle');
    stack = await connectStack({ taskQueue: first.taskQueue, waitMs: 300 });
  });
  afterAll(async () => {
    await stack?.close();
    await second?.stop();
    await first?.stop();
  });

  it('SIGTERM lets the step in flight finish, the worker exits, and the next worker completes the saga once', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `lifecycle-${plate}`;
    // A slow entry record, once: the switch is gone the moment the step has started its 3 s.
    // (The step is a local activity: the saga answers no query while it runs, so the switch tells.)
    await armFault(stack, 'plates.createEntryRecord', requestId, 1, 3000);
    const { sagaId } = (
      await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } })
    ).json();
    await waitUntil('the entry record to be in flight', async () => (await stack.db.faultSwitch.count({ where: { point: 'plates.createEntryRecord', match: requestId } })) === 0);

    const exited = new Promise<number | null>((resolve) => first.process.once('exit', (code) => resolve(code)));
    first.process.kill('SIGTERM');
    expect(await exited).toBe(0);
    const log = readFileSync(join(inject('stack').dir, 'lifecycle-worker.log'), 'utf8');
    expect(log).toContain('worker stopped');

    // Same task queue, same vendors' config: the saga goes on where it was.
    second = await startOwnWorker('lifecycle-2', { TEMPORAL_TASK_QUEUE: first.taskQueue });
    const done = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPLETED');
    expect(done.steps.every((s) => s.status === 'COMPLETED')).toBe(true);
    expect(done.steps.map((s) => s.name)).toContain('createEntryRecord');
    expect(await stack.db.stay.count({ where: { plate } })).toBe(1);
    expect(await stack.db.entryRecord.count({ where: { plate } })).toBe(1);
  });
});

describe('API shutdown', () => {
  it('SIGTERM answers the requests in flight, then the API exits', async () => {
    const stack = await connectStack();
    try {
      const info = inject('stack');
      const port = await freePort();
      const log = join(info.dir, 'lifecycle-api.log');
      const api = spawnTs('api/server.ts', { ...workerEnv(info), PORT: String(port), SAGA_WAIT_MS: '2000' }, log);
      await waitUntil('the API to listen', async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok === true);

      // A gated entry keeps the request waiting for SAGA_WAIT_MS before its 202.
      const lot = await createLot(stack, { requireGateConfirmation: true, gateTimeoutSeconds: 600 });
      const inFlight = fetch(`http://127.0.0.1:${port}/vehicle-entries`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-device-key': DEVICE_KEY },
        body: JSON.stringify({ lotId: lot.id, plate: uniquePlate() }),
      });
      await waitUntil('the request to reach the API', () => readFileSync(log, 'utf8').includes('/vehicle-entries'));
      const exited = new Promise<number | null>((resolve) => api.once('exit', (code) => resolve(code)));
      api.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(202);
      expect(await exited).toBe(0);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      await stopProcess(api);
    } finally {
      await stack.close();
    }
  });
});
