import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, TimeoutFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from './support/processes';
import { bundleTestWorkflows, setVendorFaults, startOwnWorker, vendorStats, type OwnWorker } from './support/own-worker';
import { connectStack, uniquePlate, type TestStack } from './support/stack';

/**
 * An activity's cancellation reaches its vendor call: the real verifyPlate activity, in a
 * worker of this file's own, calls ANPR simulators that hold every answer for a minute; the
 * activity times out after 1 s, and the simulator sees its caller hang up instead of waiting.
 */

let worker: OwnWorker;
let stack: TestStack;
const PRIMARIES = ['anpr-1', 'anpr-2'];
beforeAll(async () => {
  const bundle = await bundleTestWorkflows('vendor-cancellation', new URL('./support/vendor-call-workflow.ts', import.meta.url));
  // The vendor's own timeout is longer than the activity's: only the activity's end can stop the call.
  worker = await startOwnWorker('vendor-cancellation', { WORKFLOW_BUNDLE_PATH: bundle }, {
    configure: (config) => {
      config.services.anpr!.timeoutMs = 120_000;
    },
  });
  stack = await connectStack({ taskQueue: worker.taskQueue });
  for (const instance of PRIMARIES) await setVendorFaults(worker.vendors, instance, { latencyMs: 60_000 });
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await worker?.stop();
});

const totals = async () => {
  const all = await Promise.all(PRIMARIES.map((instance) => vendorStats(worker.vendors, instance)));
  return { calls: all.reduce((n, s) => n + s.calls, 0), abandoned: all.reduce((n, s) => n + s.abandoned, 0) };
};

describe('vendor calls and the activity that makes them', () => {
  it('a timed-out activity aborts its HTTP request to the vendor', async () => {
    const before = await totals();
    const handle = await stack.temporal.workflow.start('verifyPlateOnce', {
      taskQueue: worker.taskQueue,
      workflowId: `vendor-cancellation-${randomUUID()}`,
      args: [{ plate: uniquePlate(), timeoutMs: 1000 }],
    });
    const failure = await handle.result().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const activityFailure = (failure as WorkflowFailedError).cause;
    expect(activityFailure).toBeInstanceOf(ActivityFailure);
    expect((activityFailure as ActivityFailure).cause).toBeInstanceOf(TimeoutFailure);

    // The request reached a primary, which holds its answer for a minute: the worker hangs up on
    // it once the activity is timed out (the SDK cancels it a few seconds after the server does).
    await waitUntil('the vendor to see its caller hang up', async () => (await totals()).abandoned > before.abandoned, 30_000);
    const after = await totals();
    expect(after.calls - before.calls).toBe(1);
    expect(after.abandoned - before.abandoned).toBe(1);
  });
});
