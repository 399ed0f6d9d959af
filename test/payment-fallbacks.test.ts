import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentStepInput } from './support/payment-step-workflow';
import { bundleTestWorkflows, setVendorFaults, startOwnWorker, vendorCalls, type OwnWorker } from './support/own-worker';
import { connectStack, stepOf, waitForSaga, type TestStack } from './support/stack';

/**
 * A payment step's `alternativeServices` flag decides whether the payment gateway's calls may
 * go to the backup gateway (vendors/payment-gateway.ts). Real simulators over HTTP, a worker
 * and vendors of this file's own (the primaries are taken down for the whole file), and a
 * bundle that adds a one-step payment saga to the product's (test/support/payment-step-workflow.ts).
 */

let worker: OwnWorker;
let stack: TestStack;
beforeAll(async () => {
  const bundle = await bundleTestWorkflows('payment-fallbacks', new URL('./support/payment-step-workflow.ts', import.meta.url));
  worker = await startOwnWorker('payment-fallbacks', { WORKFLOW_BUNDLE_PATH: bundle });
  stack = await connectStack({ taskQueue: worker.taskQueue, waitMs: 30_000 });

  // Both primary instances down, and out of rotation before any call (no breaker in play).
  await setVendorFaults(worker.vendors, 'payment-1', { down: true });
  await setVendorFaults(worker.vendors, 'payment-2', { down: true });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const row = await stack.db.workerSnapshot.findUnique({ where: { workerId: worker.workerId } });
    const payment = row && (JSON.parse(row.snapshot).services.payment as { instances: Array<{ inRotation: boolean }> });
    if (payment?.instances.every((i) => !i.inRotation)) break;
    if (Date.now() > deadline) throw new Error(`the payment primaries never left rotation: ${JSON.stringify(payment)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await worker?.stop();
});

const backupCalls = () => vendorCalls(worker.vendors, 'payment-backup-1');

/** Runs the one-step payment saga to its end (or until it waits for an operator). */
async function payOnce(alternativeServices: boolean) {
  const input: PaymentStepInput = { reference: `pay-${randomUUID()}`, amount: 500, alternativeServices };
  const handle = await stack.temporal.workflow.start('paymentStep', {
    taskQueue: worker.taskQueue,
    workflowId: `payment-step-${randomUUID()}`,
    args: [input],
  });
  const state = await waitForSaga(stack, handle.workflowId, (s) => s.endedAt !== undefined || s.status === 'NEEDS_ATTENTION', 60_000);
  const payment = await stack.db.payment.findUnique({ where: { key: `${handle.workflowId}/authorizePayment` } });
  return { state, payment };
}

describe('payment steps and the backup gateway, with the primary gateway down', () => {
  it('alternativeServices: false never reaches the backup gateway, neither the step nor its undo', async () => {
    const before = await backupCalls();
    const { state, payment } = await payOnce(false);
    // Every retry failed on the primaries; the undo (void) cannot reach them either: an operator decides.
    expect(state.status).toBe('NEEDS_ATTENTION');
    expect(stepOf(state, 'authorizePayment')).toMatchObject({ status: 'FAILED', attempts: 5, compensation: 'FAILED' });
    expect(stepOf(state, 'authorizePayment').lastError).toBe('no healthy instance of payment');
    expect(await backupCalls()).toBe(before);
    expect(payment).toMatchObject({ status: 'PENDING', gatewayPaymentId: null });

    // Nothing was charged anywhere: the operator gives the undo up and the saga ends.
    const skip = await stack.app.inject({ method: 'POST', url: `/sagas/${state.sagaId}/signals/skipCompensation`, payload: { reason: 'nothing charged' } });
    expect(skip.statusCode).toBe(202);
    expect((await waitForSaga(stack, state.sagaId, (s) => s.endedAt !== undefined)).status).toBe('FAILED');
  });

  it('alternativeServices: true authorizes through the backup gateway', async () => {
    const before = await backupCalls();
    const { state, payment } = await payOnce(true);
    expect(state.status).toBe('COMPLETED');
    expect(stepOf(state, 'authorizePayment')).toMatchObject({ status: 'COMPLETED', attempts: 1, via: 'alternative:payment-backup' });
    expect(await backupCalls()).toBeGreaterThan(before);
    expect(payment).toMatchObject({ status: 'AUTHORIZED', via: 'alternative:payment-backup' });
  });

  it("the order saga's payment steps take the backup gateway: authorized and captured there", async () => {
    const product = await stack.app.inject({ method: 'POST', url: '/products', payload: { sku: `SKU-${randomUUID().slice(0, 8)}`, name: 'Tea', price: 120 } });
    const { id: productId } = product.json();
    expect((await stack.app.inject({ method: 'PUT', url: `/products/${productId}/stock`, payload: { onHand: 2 } })).statusCode).toBe(200);
    const userId = `user-${randomUUID()}`;
    const res = await stack.app.inject({
      method: 'POST',
      url: '/orders',
      headers: { authorization: `Bearer ${stack.token('user', userId, `${userId}@test.example`)}` },
      payload: { items: [{ productId, quantity: 2 }] },
    });
    expect(res.json()).toMatchObject({ status: 'CONFIRMED', total: 240 });
    const state = await waitForSaga(stack, res.json().sagaId, (s) => s.endedAt !== undefined);
    expect(stepOf(state, 'authorizePayment').via).toBe('alternative:payment-backup');
    expect(stepOf(state, 'capturePayment').via).toBe('alternative:payment-backup');
    expect(await stack.db.payment.findMany({ where: { reference: res.json().orderId } })).toMatchObject([{ status: 'CAPTURED', via: 'alternative:payment-backup' }]);
  });
});
