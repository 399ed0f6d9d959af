import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseExternalServicesConfig } from '../../config/external-services';
import type { Db } from '../../db/client';
import { BusinessRejection, NotFoundError } from '../../domains/errors';
import { createFaultSwitches } from '../../domains/faults/fault-switch';
import { createEventLog } from '../../domains/events';
import { createPaymentService, gatewayKey, type PaymentGateway } from '../../domains/payments';
import { ResilienceRegistry } from '../../resilience/registry';
import { createPaymentLedger } from '../../simulators/payment-gateway';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { createRegistryPaymentGateway } from '../../vendors/payment-gateway';
import { connectDb, rejectionOf, uid } from './helpers';

interface PaymentStats {
  calls: number;
  operations: Record<string, number>;
  effects: Record<string, number>;
  replays: number;
  declined: number;
}

describe('payments against the payment gateway simulators (primary ×2 + backup, one ledger)', () => {
  let db: Db;
  let sims: RunningSimulator[];
  let gateway: PaymentGateway;
  let payments: ReturnType<typeof createPaymentService>;
  let registry: ResilienceRegistry;

  beforeAll(async () => {
    db = await connectDb();
    const ledger = createPaymentLedger(); // as simulators/start.ts does by default
    sims = await Promise.all([
      startSimulator('payment', { port: 0, name: 'payment-1', ledger }),
      startSimulator('payment', { port: 0, name: 'payment-2', ledger }),
      startSimulator('payment', { port: 0, name: 'payment-backup-1', ledger }),
    ]);
    const breaker = { slidingWindowSize: 100, minimumNumberOfCalls: 100, failureRateThreshold: 100, waitDurationInOpenState: 1_000 };
    const config = parseExternalServicesConfig({
      services: {
        payment: {
          instances: [
            { id: 'payment-1', url: sims[0]!.url },
            { id: 'payment-2', url: sims[1]!.url },
          ],
          timeoutMs: 5_000,
          breaker,
          alternatives: ['payment-backup'],
        },
        'payment-backup': { instances: [{ id: 'payment-backup-1', url: sims[2]!.url }], timeoutMs: 5_000, breaker },
      },
    });
    registry = new ResilienceRegistry({ config, logger: pino({ level: 'silent' }) });
    gateway = createRegistryPaymentGateway(registry);
    payments = createPaymentService({ db, faults: createFaultSwitches(db, true), gateway, events: createEventLog({ db }) }, { currency: 'TRY' });
  });
  afterEach(() => {
    for (const sim of sims) sim.faults.reset();
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await db.$disconnect();
  });

  async function effects(): Promise<Record<string, number>> {
    const all = await Promise.all(sims.map(async (s) => (await (await fetch(`${s.url}/admin/stats`)).json()) as PaymentStats));
    const sum: Record<string, number> = {};
    for (const st of all) for (const [op, n] of Object.entries(st.effects)) sum[op] = (sum[op] ?? 0) + n;
    return sum;
  }
  const delta = (after: Record<string, number>, before: Record<string, number>) =>
    Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - (before[k] ?? 0)]));

  it('authorizes once per key, captures once, refunds once; each retry replays', async () => {
    const before = await effects();
    const key = uid('pay-');
    const input = { key, purpose: 'order' as const, reference: uid('order-'), amount: 1_500 };
    const auth = await payments.authorize(input);
    expect(auth).toMatchObject({ status: 'AUTHORIZED', amount: 1_500, currency: 'TRY', purpose: 'order' });
    expect(auth.gatewayPaymentId).toMatch(/^pay_/);
    expect(auth.via).toMatch(/^primary:payment-[12]$/);
    expect(await payments.authorize(input)).toEqual(auth);

    const captured = await payments.capture({ key });
    expect(captured.status).toBe('CAPTURED');
    expect((await payments.capture({ key })).status).toBe('CAPTURED');

    const refunded = await payments.refund({ key, amount: 500 });
    expect(refunded).toMatchObject({ status: 'REFUNDED', refundedAmount: 500 });
    expect(await payments.refund({ key, amount: 500 })).toMatchObject({ status: 'REFUNDED', refundedAmount: 500 });
    expect((await payments.capture({ key })).status).toBe('REFUNDED'); // capture happened; the payment is as it is now

    expect(delta(await effects(), before)).toEqual({ authorize: 1, capture: 1, void: 0, refund: 1 });
    expect(await payments.listPayments({ purpose: 'order', reference: input.reference })).toHaveLength(1);
    expect(await db.payment.count({ where: { key } })).toBe(1);
  });

  it('refunds one capture in several parts, each idempotent by its own key, never more than captured in all', async () => {
    const before = await effects();
    const key = uid('pay-');
    const reference = uid('order-');
    await payments.authorize({ key, purpose: 'order', reference, amount: 1_000 });
    await payments.capture({ key });
    expect(await payments.refund({ key, amount: 300, refundKey: `${key}#1` })).toMatchObject({ status: 'REFUNDED', refundedAmount: 300 });
    // A retry of the first refund replays it; a second refund adds to it.
    expect(await payments.refund({ key, amount: 300, refundKey: `${key}#1` })).toMatchObject({ refundedAmount: 300 });
    expect(await payments.refund({ key, amount: 500, refundKey: `${key}#2` })).toMatchObject({ status: 'REFUNDED', refundedAmount: 800 });
    // More than is left: the gateway refuses it, nothing moves.
    expect(await rejectionOf(payments.refund({ key, amount: 300, refundKey: `${key}#3` }))).toMatchObject({ code: 'REFUND_EXCEEDS_CAPTURED' });
    expect(await payments.getPayment(key)).toMatchObject({ refundedAmount: 800 });
    // The undo refunds what is left (less what it keeps), once.
    expect(await payments.voidPayment({ key, keep: 50 })).toMatchObject({ status: 'REFUNDED', refundedAmount: 950 });
    expect(await payments.voidPayment({ key, keep: 50 })).toMatchObject({ refundedAmount: 950 });
    expect(delta(await effects(), before)).toEqual({ authorize: 1, capture: 1, void: 0, refund: 3 });
    const ledger = (await (await fetch(`${sims[0]!.url}/admin/ledger`)).json()) as { effects: Array<{ operation: string; reference: string; amount: number }> };
    expect(ledger.effects.filter((e) => e.reference === reference && e.operation === 'refund').map((e) => e.amount)).toEqual([300, 500, 150]);
  });

  it('a declined order (over 10000) is recorded DECLINED and throws PAYMENT_DECLINED, also on retry', async () => {
    const key = uid('pay-');
    const input = { key, purpose: 'order' as const, reference: uid('order-'), amount: 10_001 };
    const err = await rejectionOf(payments.authorize(input));
    expect(err).toBeInstanceOf(BusinessRejection);
    expect(err).toMatchObject({ code: 'PAYMENT_DECLINED', message: 'LIMIT_EXCEEDED' });
    expect(await payments.getPayment(key)).toMatchObject({ status: 'DECLINED', declineReason: 'LIMIT_EXCEEDED', gatewayPaymentId: null });
    expect(await rejectionOf(payments.authorize(input))).toMatchObject({ code: 'PAYMENT_DECLINED' });
    // Nothing to undo: the compensation is a no-op.
    expect(await payments.voidPayment({ key })).toMatchObject({ status: 'DECLINED' });
    expect(await rejectionOf(payments.capture({ key }))).toMatchObject({ code: 'PAYMENT_NOT_CAPTURABLE' });
  });

  it('a declined reservation (under 300) is recorded DECLINED with AMOUNT_TOO_LOW; 300 is accepted', async () => {
    const key = uid('pay-');
    expect(await rejectionOf(payments.authorize({ key, purpose: 'reservation', reference: uid('res-'), amount: 299 }))).toMatchObject({
      code: 'PAYMENT_DECLINED',
      message: 'AMOUNT_TOO_LOW',
    });
    expect((await payments.getPayment(key)).status).toBe('DECLINED');
    expect((await payments.authorize({ key: uid('pay-'), purpose: 'reservation', reference: uid('res-'), amount: 300 })).status).toBe('AUTHORIZED');
  });

  it('compensation: voids an authorized payment, refunds a captured one, is a no-op otherwise', async () => {
    const before = await effects();
    const authorized = uid('pay-');
    await payments.authorize({ key: authorized, purpose: 'order', reference: 'o', amount: 100 });
    expect(await payments.voidPayment({ key: authorized })).toMatchObject({ status: 'VOIDED' });
    expect(await payments.voidPayment({ key: authorized })).toMatchObject({ status: 'VOIDED' });
    expect(await rejectionOf(payments.capture({ key: authorized }))).toMatchObject({ code: 'PAYMENT_NOT_CAPTURABLE' });
    expect(await rejectionOf(payments.refund({ key: authorized }))).toMatchObject({ code: 'PAYMENT_NOT_CAPTURED' });

    const captured = uid('pay-');
    await payments.authorize({ key: captured, purpose: 'order', reference: 'o', amount: 200 });
    await payments.capture({ key: captured });
    expect(await payments.voidPayment({ key: captured })).toMatchObject({ status: 'REFUNDED', refundedAmount: 200 });
    expect(await payments.voidPayment({ key: captured })).toMatchObject({ status: 'REFUNDED' });

    expect(delta(await effects(), before)).toEqual({ authorize: 2, capture: 1, void: 1, refund: 1 });
  });

  it('an undo before the authorization leaves a tombstone: a late authorize under the key charges nothing', async () => {
    const before = await effects();
    const key = uid('pay-');
    expect(await payments.voidPayment({ key })).toBeNull();
    expect(await payments.voidPayment({ key })).toBeNull();
    const late = await payments.authorize({ key, purpose: 'order', reference: 'o', amount: 100 });
    expect(late).toMatchObject({ status: 'VOIDED', gatewayPaymentId: null });
    expect(delta(await effects(), before)).toEqual({ authorize: 0, capture: 0, void: 0, refund: 0 });
  });

  it('an answer lost after the gateway authorized is replayed — even through the backup gateway — never charged twice', async () => {
    const before = await effects();
    const key = uid('pay-');
    const input = { key, purpose: 'order' as const, reference: uid('order-'), amount: 700 };
    // First attempt: the gateway authorizes, then the process dies before recording it.
    let crash = true;
    const flaky: PaymentGateway = {
      ...gateway,
      authorize: async (req) => {
        const answer = await gateway.authorize(req);
        if (crash) {
          crash = false;
          throw new Error('worker died');
        }
        return answer;
      },
    };
    const flakyPayments = createPaymentService({ db, faults: createFaultSwitches(db, true), gateway: flaky, events: createEventLog({ db }) });
    expect((await rejectionOf(flakyPayments.authorize(input))).message).toBe('worker died');
    expect((await payments.getPayment(key)).status).toBe('PENDING');

    // The primary is down when the retry comes: the backup answers from the shared ledger.
    sims[0]!.faults.set({ down: true });
    sims[1]!.faults.set({ down: true });
    const retried = await payments.authorize(input);
    expect(retried).toMatchObject({ status: 'AUTHORIZED', via: 'alternative:payment-backup' });
    const onGateway = (await (await fetch(`${sims[2]!.url}/v1/payments/${retried.gatewayPaymentId}`)).json()) as { gateway: string };
    expect(onGateway.gateway).toMatch(/^payment-[12]$/); // authorized by the primary, replayed by the backup
    expect(delta(await effects(), before)).toMatchObject({ authorize: 1 });

    // Capture through the backup too, then back on the primary.
    expect((await payments.capture({ key })).status).toBe('CAPTURED');
    for (const sim of sims) sim.faults.set({ down: false }); // (reset() would zero the stats)
    expect((await payments.capture({ key })).status).toBe('CAPTURED');
    expect(delta(await effects(), before)).toMatchObject({ authorize: 1, capture: 1 });
  });

  it('an undo of a payment whose authorization answer was lost resolves it first, then voids it', async () => {
    const key = uid('pay-');
    const input = { key, purpose: 'reservation' as const, reference: uid('res-'), amount: 400 };
    await payments.authorize(input);
    await db.payment.update({ where: { key }, data: { status: 'PENDING', gatewayPaymentId: null } }); // as if never recorded
    expect(await payments.voidPayment({ key })).toMatchObject({ status: 'VOIDED' });
    const onGateway = await gateway.get((await payments.getPayment(key)).gatewayPaymentId!);
    expect(onGateway.value.status).toBe('VOIDED');
  });

  it('syncs from the gateway when its state moved on (captured elsewhere) and undoes with a refund', async () => {
    const key = uid('pay-');
    const auth = await payments.authorize({ key, purpose: 'order', reference: 'o', amount: 900 });
    // The capture went through at the gateway, but we never recorded it.
    await gateway.capture(auth.gatewayPaymentId!, { idempotencyKey: gatewayKey('capture', key) });
    expect((await payments.getPayment(key)).status).toBe('AUTHORIZED');
    expect(await payments.voidPayment({ key })).toMatchObject({ status: 'REFUNDED', refundedAmount: 900 });
  });

  it('validates amounts and keys; unknown payments are NotFoundError; outages are not rejections', async () => {
    for (const amount of [0, -5, 12.5]) {
      expect(await rejectionOf(payments.authorize({ key: uid(), purpose: 'order', reference: 'o', amount }))).toMatchObject({ code: 'INVALID_AMOUNT' });
    }
    expect(await rejectionOf(payments.authorize({ key: uid(), purpose: 'gift' as never, reference: 'o', amount: 5 }))).toMatchObject({
      code: 'INVALID_PURPOSE',
    });
    const key = uid('pay-');
    await payments.authorize({ key, purpose: 'order', reference: 'o', amount: 50 });
    expect(await rejectionOf(payments.authorize({ key, purpose: 'order', reference: 'o', amount: 51 }))).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
    await payments.capture({ key });
    expect(await rejectionOf(payments.refund({ key, amount: 51 }))).toMatchObject({ code: 'REFUND_EXCEEDS_CAPTURED' });
    expect(await rejectionOf(payments.capture({ key: uid('none-') }))).toBeInstanceOf(NotFoundError);

    for (const sim of sims) sim.faults.set({ down: true });
    const down = uid('pay-');
    const outage = await rejectionOf(payments.authorize({ key: down, purpose: 'order', reference: 'o', amount: 60 }));
    expect(outage).not.toBeInstanceOf(BusinessRejection);
    expect((await payments.getPayment(down)).status).toBe('PENDING');
    for (const sim of sims) sim.faults.set({ down: false });
    expect((await payments.authorize({ key: down, purpose: 'order', reference: 'o', amount: 60 })).status).toBe('AUTHORIZED');
  });
});
