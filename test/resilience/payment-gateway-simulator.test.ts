import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentLedger } from '../../simulators/payment-gateway';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { postJson, setFaults, stats } from './helpers';

interface PaymentStats {
  calls: number;
  operations: Record<string, number>;
  effects: Record<string, number>;
  replays: number;
  declined: number;
}

describe('payment gateway simulator', () => {
  let gw: RunningSimulator;
  let seq = 0;
  const key = () => `key-${++seq}`;
  const authorize = (body: Record<string, unknown>) =>
    postJson(`${gw.url}/v1/payments/authorize`, { idempotencyKey: key(), amount: 500, purpose: 'reservation', reference: 'res-1', ...body });
  const op = (id: string, operation: string, body: Record<string, unknown> = {}) =>
    postJson(`${gw.url}/v1/payments/${id}/${operation}`, { idempotencyKey: key(), ...body });

  beforeAll(async () => {
    gw = await startSimulator('payment', { port: 0, name: 'gw-1' });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('authorizes, with the same answer and no second effect for the same idempotency key', async () => {
    const before = await stats<PaymentStats>(gw.url);
    const body = { idempotencyKey: 'auth-once', amount: 1200, currency: 'EUR', purpose: 'order', reference: 'order-7' };
    const first = await postJson(`${gw.url}/v1/payments/authorize`, body);
    const second = await postJson(`${gw.url}/v1/payments/authorize`, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'AUTHORIZED', amount: 1200, currency: 'EUR', purpose: 'order', reference: 'order-7', gateway: 'gw-1' });
    expect(first.body.paymentId).toMatch(/^pay_/);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const after = await stats<PaymentStats>(gw.url);
    expect(after.operations.authorize! - before.operations.authorize!).toBe(2);
    expect(after.effects.authorize! - before.effects.authorize!).toBe(1);
    expect(after.replays - before.replays).toBe(1);
  });

  it('refuses an idempotency key reused for a different request', async () => {
    await postJson(`${gw.url}/v1/payments/authorize`, { idempotencyKey: 'reused', amount: 400, purpose: 'reservation', reference: 'r' });
    const again = await postJson(`${gw.url}/v1/payments/authorize`, { idempotencyKey: 'reused', amount: 401, purpose: 'reservation', reference: 'r' });
    expect(again.status).toBe(422);
    expect(again.body).toEqual({ error: 'IDEMPOTENCY_KEY_REUSED', idempotencyKey: 'reused' });
  });

  it('applies the demo rules', async () => {
    expect(await authorize({ purpose: 'reservation', amount: 299 })).toMatchObject({
      status: 402,
      body: { status: 'DECLINED', reason: 'AMOUNT_TOO_LOW' },
    });
    expect((await authorize({ purpose: 'reservation', amount: 300 })).status).toBe(201);
    expect((await authorize({ purpose: 'order', amount: 10_000 })).status).toBe(201);
    expect(await authorize({ purpose: 'order', amount: 10_000.01 })).toMatchObject({
      status: 402,
      body: { status: 'DECLINED', reason: 'LIMIT_EXCEEDED' },
    });
    expect((await authorize({ purpose: 'order', amount: 50 })).status).toBe(201);
  });

  it('replays a decline for the same key', async () => {
    const body = { idempotencyKey: 'declined-once', amount: 10, purpose: 'reservation', reference: 'r' };
    const first = await postJson(`${gw.url}/v1/payments/authorize`, body);
    const second = await postJson(`${gw.url}/v1/payments/authorize`, body);
    expect([first.status, second.status]).toEqual([402, 402]);
    expect(second.body).toEqual(first.body);
  });

  it('takes per-instance rules', async () => {
    const strict = await startSimulator('payment', { port: 0, name: 'strict', rules: { reservationMinAmount: 1000 } });
    try {
      const res = await postJson(`${strict.url}/v1/payments/authorize`, { idempotencyKey: 'k', amount: 500, purpose: 'reservation', reference: 'r' });
      expect(res).toMatchObject({ status: 402, body: { reason: 'AMOUNT_TOO_LOW' } });
    } finally {
      await strict.close();
    }
  });

  it('captures then refunds; capture and void are only valid from AUTHORIZED, refunds from what is left of the capture', async () => {
    const { body: payment } = await authorize({});
    const id = payment.paymentId as string;
    expect((await op(id, 'refund')).status).toBe(409);
    const capture = { idempotencyKey: `cap-${id}` };
    const captured = await postJson(`${gw.url}/v1/payments/${id}/capture`, capture);
    expect(captured).toMatchObject({ status: 200, body: { paymentId: id, status: 'CAPTURED' } });
    // Same key: same answer, no second effect. New key: an invalid transition.
    expect(await postJson(`${gw.url}/v1/payments/${id}/capture`, capture)).toMatchObject({ status: 200, body: { status: 'CAPTURED' } });
    expect(await op(id, 'capture')).toMatchObject({ status: 409, body: { error: 'INVALID_TRANSITION', status: 'CAPTURED' } });
    expect((await op(id, 'void')).status).toBe(409);
    expect(await op(id, 'refund', { amount: 501 })).toMatchObject({ status: 422, body: { error: 'AMOUNT_EXCEEDS_CAPTURED' } });
    expect(await op(id, 'refund', { amount: 200 })).toMatchObject({ status: 200, body: { status: 'REFUNDED', refundedAmount: 200 } });
    // Several partial refunds, each under its own key, never more than is left; then none.
    expect(await op(id, 'refund', { amount: 301 })).toMatchObject({ status: 422, body: { error: 'AMOUNT_EXCEEDS_CAPTURED' } });
    expect(await op(id, 'refund')).toMatchObject({ status: 200, body: { status: 'REFUNDED', refundedAmount: 500 } });
    expect((await op(id, 'refund')).status).toBe(409);
    const state = await fetch(`${gw.url}/v1/payments/${id}`).then((r) => r.json());
    expect(state).toMatchObject({ status: 'REFUNDED' });
  });

  it('voids an authorization, once', async () => {
    const { body: payment } = await authorize({});
    const id = payment.paymentId as string;
    const before = await stats<PaymentStats>(gw.url);
    const voidOnce = { idempotencyKey: `void-${id}` };
    expect(await postJson(`${gw.url}/v1/payments/${id}/void`, voidOnce)).toMatchObject({ status: 200, body: { status: 'VOIDED' } });
    expect(await postJson(`${gw.url}/v1/payments/${id}/void`, voidOnce)).toMatchObject({ status: 200, body: { status: 'VOIDED' } });
    const after = await stats<PaymentStats>(gw.url);
    expect(after.effects.void! - before.effects.void!).toBe(1);
    expect((await op(id, 'capture')).status).toBe(409);
    expect((await op(id, 'refund')).status).toBe(409);
  });

  it('answers 404 for an unknown payment and 400 for a bad body', async () => {
    expect(await op('pay_nope', 'capture')).toMatchObject({ status: 404, body: { error: 'PAYMENT_NOT_FOUND' } });
    expect((await fetch(`${gw.url}/v1/payments/pay_nope`)).status).toBe(404);
    const bad = await postJson(`${gw.url}/v1/payments/authorize`, { idempotencyKey: 'x', amount: -1, purpose: 'gift', reference: '' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('INVALID_REQUEST');
    expect(bad.body.issues.join(' ')).toMatch(/amount/);
    expect((await postJson(`${gw.url}/v1/payments/pay_x/capture`, {})).status).toBe(400);
  });

  it('instances sharing a ledger act as one gateway', async () => {
    const ledger = createPaymentLedger();
    const [a, b] = await Promise.all([
      startSimulator('payment', { port: 0, name: 'a', ledger }),
      startSimulator('payment', { port: 0, name: 'b', ledger }),
    ]);
    try {
      const auth = { idempotencyKey: 'shared-1', amount: 700, purpose: 'reservation', reference: 'r' };
      const onA = await postJson(`${a.url}/v1/payments/authorize`, auth);
      const onB = await postJson(`${b.url}/v1/payments/authorize`, auth);
      expect(onB.body).toEqual(onA.body);
      const captured = await postJson(`${b.url}/v1/payments/${onA.body.paymentId}/capture`, { idempotencyKey: 'shared-cap' });
      expect(captured).toMatchObject({ status: 200, body: { status: 'CAPTURED' } });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('obeys injected faults and counts calls that arrive', async () => {
    const sim = await startSimulator('payment', { port: 0, name: 'faulty' });
    try {
      await setFaults(sim.url, { failRate: 1 });
      const res = await postJson(`${sim.url}/v1/payments/authorize`, { idempotencyKey: 'f1', amount: 500, purpose: 'reservation', reference: 'r' });
      expect(res).toMatchObject({ status: 503, body: { error: 'INJECTED_FAILURE' } });
      expect((await fetch(`${sim.url}/health`)).status).toBe(200); // failRate spares /health
      await setFaults(sim.url, { failRate: 0, down: true });
      expect((await fetch(`${sim.url}/health`)).status).toBe(503);
      const s = await stats<PaymentStats>(sim.url);
      expect(s.calls).toBe(1);
      expect(s.effects.authorize).toBe(0);
      await fetch(`${sim.url}/admin/reset`, { method: 'POST' });
      expect(await fetch(`${sim.url}/admin/faults`).then((r) => r.json())).toEqual({ failRate: 0, latencyMs: 0, down: false });
      // The failed call had no effect: the same key now authorizes.
      expect((await postJson(`${sim.url}/v1/payments/authorize`, { idempotencyKey: 'f1', amount: 500, purpose: 'reservation', reference: 'r' })).status).toBe(201);
    } finally {
      await sim.close();
    }
  });
});
