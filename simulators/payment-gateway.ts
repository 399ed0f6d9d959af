/**
 * A simulated payment gateway. Every mutating call carries an idempotencyKey: the
 * same key answers the same (status and body) without a second effect; the same key
 * with a different request answers 422 IDEMPOTENCY_KEY_REUSED.
 *
 *   POST /v1/payments/authorize {idempotencyKey, amount, currency?, purpose: 'reservation'|'order', reference}
 *        → 201 {paymentId, status:'AUTHORIZED', ...} | 402 {status:'DECLINED', reason}
 *   POST /v1/payments/:id/capture {idempotencyKey}          AUTHORIZED → CAPTURED
 *   POST /v1/payments/:id/void    {idempotencyKey}          AUTHORIZED → VOIDED
 *   POST /v1/payments/:id/refund  {idempotencyKey, amount?} CAPTURED   → REFUNDED; again while some is left
 *        (several partial refunds, each under its own key; `amount` defaults to what is left; the
 *        refunds together never exceed the capture: 422 AMOUNT_EXCEEDS_CAPTURED)
 *   GET  /v1/payments/:id
 *   GET  /health
 *   GET  /admin/ledger   the gateway's own books: every payment, and every effect in the order done
 * Invalid transitions answer 409 INVALID_TRANSITION, unknown payments 404, bad bodies 400.
 *
 * Demo rules (per instance): purpose 'reservation' with amount < reservationMinAmount
 * (300) is declined AMOUNT_TOO_LOW; purpose 'order' with amount > orderMaxAmount (10000)
 * is declined LIMIT_EXCEEDED.
 *
 * State is in memory, in a ledger owned by the instance unless one is passed in:
 * instances given the same ledger behave as front doors of one gateway.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { installFaults, invalidRequest, type FaultControl } from './faults';

export type PaymentStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';
export type PaymentPurpose = 'reservation' | 'order';
export type PaymentOperation = 'authorize' | 'capture' | 'void' | 'refund';

export interface PaymentRules {
  reservationMinAmount: number;
  orderMaxAmount: number;
}

export const DEFAULT_PAYMENT_RULES: Readonly<PaymentRules> = Object.freeze({ reservationMinAmount: 300, orderMaxAmount: 10_000 });

export interface Payment {
  paymentId: string;
  status: PaymentStatus;
  amount: number;
  currency: string;
  purpose: PaymentPurpose;
  reference: string;
  refundedAmount?: number;
  /** The instance that authorized it. */
  gateway: string;
}

interface StoredAnswer {
  fingerprint: string;
  statusCode: number;
  body: unknown;
}

/**
 * One thing the gateway did (a replay or a refused call does nothing): an authorization, a
 * capture, a void or a refund of `amount`. Checkers compare these with the caller's books.
 */
export interface LedgerEffect {
  operation: PaymentOperation;
  idempotencyKey: string;
  paymentId: string;
  reference: string;
  amount: number;
  /** The instance that did it. */
  gateway: string;
}

/** Payments, idempotency records and the effects log; share one between instances to make them one gateway. */
export interface PaymentLedger {
  payments: Map<string, Payment>;
  answers: Map<string, StoredAnswer>;
  effects: LedgerEffect[];
}

export function createPaymentLedger(): PaymentLedger {
  return { payments: new Map(), answers: new Map(), effects: [] };
}

export interface PaymentSimulatorOptions {
  name: string;
  rules?: Partial<PaymentRules>;
  ledger?: PaymentLedger;
  random?: () => number;
}

const idempotencyKey = z.string().min(1).max(200);
const authorizeSchema = z.object({
  idempotencyKey,
  amount: z.number().positive().finite(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code')
    .default('EUR'),
  purpose: z.enum(['reservation', 'order']),
  reference: z.string().min(1).max(200),
});
const keyOnlySchema = z.object({ idempotencyKey });
const refundSchema = z.object({ idempotencyKey, amount: z.number().positive().finite().optional() });

const OPERATIONS: readonly PaymentOperation[] = ['authorize', 'capture', 'void', 'refund'];
const zeroCounts = () => Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<PaymentOperation, number>;

export interface PaymentSimulator {
  app: FastifyInstance;
  faults: FaultControl;
  ledger: PaymentLedger;
}

export function buildPaymentSimulator(options: PaymentSimulatorOptions): PaymentSimulator {
  const app = Fastify({ logger: false });
  const rules: PaymentRules = { ...DEFAULT_PAYMENT_RULES, ...options.rules };
  const ledger = options.ledger ?? createPaymentLedger();
  let stats = { operations: zeroCounts(), effects: zeroCounts(), replays: 0, declined: 0, conflicts: 0 };
  const faults = installFaults(app, {
    ...(options.random ? { random: options.random } : {}),
    stats: () => ({ ...stats, operations: { ...stats.operations }, effects: { ...stats.effects } }),
    resetStats: () => {
      stats = { operations: zeroCounts(), effects: zeroCounts(), replays: 0, declined: 0, conflicts: 0 };
    },
  });

  /**
   * Answers from the idempotency record when the key was seen; otherwise runs the
   * operation and records its answer (final answers only: 2xx and 402).
   */
  function idempotent(
    reply: FastifyReply,
    operation: PaymentOperation,
    key: string,
    request: unknown,
    /** `amount`: the effect's own amount when it is not the payment's (a partial refund). */
    run: () => { statusCode: number; body: unknown; effect: boolean; amount?: number },
  ) {
    stats.operations[operation]++;
    const fingerprint = JSON.stringify([operation, request]);
    const seen = ledger.answers.get(key);
    if (seen) {
      if (seen.fingerprint !== fingerprint) {
        return reply.code(422).send({ error: 'IDEMPOTENCY_KEY_REUSED', idempotencyKey: key });
      }
      stats.replays++;
      return reply.code(seen.statusCode).header('idempotent-replayed', 'true').send(seen.body);
    }
    const answer = run();
    if (answer.effect) {
      stats.effects[operation]++;
      const payment = answer.body as Payment;
      const amount = answer.amount ?? payment.amount;
      ledger.effects.push({ operation, idempotencyKey: key, paymentId: payment.paymentId, reference: payment.reference, amount, gateway: options.name });
    }
    if ((answer.statusCode >= 200 && answer.statusCode < 300) || answer.statusCode === 402) {
      ledger.answers.set(key, { fingerprint, statusCode: answer.statusCode, body: answer.body });
    }
    return reply.code(answer.statusCode).send(answer.body);
  }

  function transition(
    reply: FastifyReply,
    operation: Exclude<PaymentOperation, 'authorize'>,
    paymentId: string,
    body: unknown,
  ) {
    const schema = operation === 'refund' ? refundSchema : keyOnlySchema;
    const parsed = schema.safeParse(body);
    if (!parsed.success) return reply.code(400).send(invalidRequest(parsed.error));
    const { idempotencyKey: key, ...rest } = parsed.data as { idempotencyKey: string; amount?: number };
    return idempotent(reply, operation, key, { paymentId, ...rest }, () => {
      const payment = ledger.payments.get(paymentId);
      if (!payment) return { statusCode: 404, body: { error: 'PAYMENT_NOT_FOUND', paymentId }, effect: false };
      if (operation === 'refund') {
        // A refund takes from what is left of the capture: CAPTURED, or REFUNDED in part.
        const refunded = payment.refundedAmount ?? 0;
        const left = payment.amount - refunded;
        if ((payment.status !== 'CAPTURED' && payment.status !== 'REFUNDED') || left <= 0) {
          stats.conflicts++;
          return { statusCode: 409, body: { error: 'INVALID_TRANSITION', paymentId, status: payment.status, operation }, effect: false };
        }
        const amount = rest.amount ?? left;
        if (amount > left) {
          return { statusCode: 422, body: { error: 'AMOUNT_EXCEEDS_CAPTURED', paymentId, captured: payment.amount, refunded }, effect: false };
        }
        payment.refundedAmount = refunded + amount;
        payment.status = 'REFUNDED';
        return { statusCode: 200, body: { ...payment }, effect: true, amount };
      }
      if (payment.status !== 'AUTHORIZED') {
        stats.conflicts++;
        return {
          statusCode: 409,
          body: { error: 'INVALID_TRANSITION', paymentId, status: payment.status, operation },
          effect: false,
        };
      }
      payment.status = operation === 'capture' ? 'CAPTURED' : 'VOIDED';
      return { statusCode: 200, body: { ...payment }, effect: true };
    });
  }

  app.get('/health', async () => ({ status: 'UP', gateway: options.name }));
  app.get('/admin/ledger', async () => ({ payments: [...ledger.payments.values()], effects: ledger.effects }));

  app.post('/v1/payments/authorize', async (request, reply) => {
    const parsed = authorizeSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send(invalidRequest(parsed.error));
    const { idempotencyKey: key, ...req } = parsed.data;
    return idempotent(reply, 'authorize', key, req, () => {
      const reason =
        req.purpose === 'reservation' && req.amount < rules.reservationMinAmount
          ? 'AMOUNT_TOO_LOW'
          : req.purpose === 'order' && req.amount > rules.orderMaxAmount
            ? 'LIMIT_EXCEEDED'
            : undefined;
      if (reason) {
        stats.declined++;
        return { statusCode: 402, body: { status: 'DECLINED', reason, reference: req.reference }, effect: false };
      }
      const payment: Payment = { paymentId: `pay_${randomUUID()}`, status: 'AUTHORIZED', ...req, gateway: options.name };
      ledger.payments.set(payment.paymentId, payment);
      return { statusCode: 201, body: { ...payment }, effect: true };
    });
  });

  app.post<{ Params: { id: string } }>('/v1/payments/:id/capture', async (request, reply) =>
    transition(reply, 'capture', request.params.id, request.body),
  );
  app.post<{ Params: { id: string } }>('/v1/payments/:id/void', async (request, reply) =>
    transition(reply, 'void', request.params.id, request.body),
  );
  app.post<{ Params: { id: string } }>('/v1/payments/:id/refund', async (request, reply) =>
    transition(reply, 'refund', request.params.id, request.body),
  );
  app.get<{ Params: { id: string } }>('/v1/payments/:id', async (request, reply) => {
    const payment = ledger.payments.get(request.params.id);
    if (!payment) return reply.code(404).send({ error: 'PAYMENT_NOT_FOUND', paymentId: request.params.id });
    return { ...payment };
  });

  return { app, faults, ledger };
}
