import { createHash } from 'node:crypto';
import type { Prisma } from '@prisma/client';
import type { Db } from '../../db/client';
import type { EventType, EventWriter } from '../events';
import { BusinessRejection, NotFoundError, isUniqueViolation } from '../errors';
import type { FaultSwitches } from '../faults/fault-switch';
import type { GatewayPayment, GatewayTransition, PaymentGateway, PaymentPurpose } from './payment-gateway-port';

/**
 * PENDING: the authorization was asked for, its answer is not recorded yet (a retry or an
 * undo asks the gateway again under the same idempotency key, which replays the answer).
 */
export type PaymentStatus = 'PENDING' | 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED' | 'DECLINED';

export interface PaymentView {
  id: string;
  key: string;
  purpose: PaymentPurpose;
  reference: string;
  /** Whole currency units. */
  amount: number;
  currency: string;
  status: PaymentStatus;
  gatewayPaymentId: string | null;
  /** The gateway path that answered the last operation. */
  via: string | null;
  declineReason: string | null;
  refundedAmount: number;
  createdAt: string;
  updatedAt: string;
}

export interface PaymentServiceDeps {
  db: Db;
  faults: FaultSwitches;
  gateway: PaymentGateway;
  /** The domain event log (payment.authorized, .captured, .declined, .voided, .refunded), written with each status. */
  events: EventWriter;
}

const STATUS_EVENTS: Partial<Record<PaymentStatus, EventType>> = {
  AUTHORIZED: 'payment.authorized',
  CAPTURED: 'payment.captured',
  DECLINED: 'payment.declined',
  VOIDED: 'payment.voided',
  REFUNDED: 'payment.refunded',
};

export interface PaymentOptions {
  /** ISO 4217 code sent to the gateway (default TRY). */
  currency?: string;
}

const PURPOSES: readonly PaymentPurpose[] = ['reservation', 'order'];
const GATEWAY_KEY_MAX = 200;

/**
 * The gateway's idempotency key for one operation on one payment, derived from our key:
 * a retry (through any instance or the backup gateway, which share a ledger) replays.
 */
export function gatewayKey(operation: 'authorize' | 'capture' | 'void' | 'refund', key: string): string {
  const plain = `${operation}:${key}`;
  if (plain.length <= GATEWAY_KEY_MAX) return plain;
  return `${operation}:sha256:${createHash('sha256').update(key).digest('base64url')}`;
}

type Row = NonNullable<Awaited<ReturnType<Db['payment']['findUnique']>>>;

/**
 * Payments: every payment and its state, recorded in the database. Each operation is
 * idempotent by the payment's key and is one step of the state machine
 *   PENDING → AUTHORIZED → CAPTURED → REFUNDED,  AUTHORIZED → VOIDED,  PENDING → DECLINED.
 */
export function createPaymentService({ db, faults, gateway, events }: PaymentServiceDeps, options: PaymentOptions = {}) {
  const currency = options.currency ?? 'TRY';

  /**
   * Moves the payment from the status it has in `row` to data.status, with its domain event in
   * the same transaction; nothing when it moved meanwhile (the caller reads it again).
   */
  async function move(row: Row, data: Omit<Prisma.PaymentUpdateInput, 'status'> & { status: PaymentStatus }): Promise<void> {
    const type = STATUS_EVENTS[data.status];
    const writes: Prisma.PrismaPromise<unknown>[] = [db.payment.update({ where: { key: row.key, status: row.status, refundedAmount: row.refundedAmount }, data })];
    if (type) {
      writes.push(
        events.stage({
          type,
          // A further refund of a payment refunded in part is an event of its own.
          key: row.status === 'REFUNDED' ? `${row.key}#refunded-${String(data.refundedAmount)}` : row.key,
          subject: `payment/${row.key}`,
          data: {
            paymentKey: row.key,
            purpose: row.purpose,
            reference: row.reference,
            amount: row.amount,
            currency: row.currency,
            status: data.status,
            previousStatus: row.status,
            ...(data.status === 'DECLINED' && { reason: data.declineReason }),
            ...(data.status === 'REFUNDED' && { refundedAmount: data.refundedAmount }),
          },
        }),
      );
    }
    try {
      await db.$transaction(writes);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'P2025') throw err;
    }
  }

  const view = (row: Row): PaymentView => ({
    id: row.id,
    key: row.key,
    purpose: row.purpose as PaymentPurpose,
    reference: row.reference,
    amount: row.amount,
    currency: row.currency,
    status: row.status as PaymentStatus,
    gatewayPaymentId: row.gatewayPaymentId,
    via: row.via,
    declineReason: row.declineReason,
    refundedAmount: row.refundedAmount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  });

  const reread = (key: string) => db.payment.findUniqueOrThrow({ where: { key } });

  async function requirePayment(key: string): Promise<Row> {
    const row = await db.payment.findUnique({ where: { key } });
    if (!row) throw new NotFoundError(`no payment ${key}`);
    return row;
  }

  /** Records what the gateway says the payment is (states only move forward; refunds only add up). */
  async function recordGatewayState(row: Row, payment: GatewayPayment, via: string): Promise<Row> {
    const now = new Date();
    const data =
      payment.status === 'AUTHORIZED'
        ? ({ status: 'AUTHORIZED', authorizedAt: now } as const)
        : payment.status === 'CAPTURED'
          ? ({ status: 'CAPTURED', capturedAt: now } as const)
          : payment.status === 'VOIDED'
            ? ({ status: 'VOIDED', voidedAt: now } as const)
            : ({ status: 'REFUNDED', refundedAt: now, refundedAmount: Math.max(row.refundedAmount, payment.refundedAmount ?? row.amount) } as const);
    if (data.status !== row.status || (data.status === 'REFUNDED' && data.refundedAmount !== row.refundedAmount)) {
      await move(row, { ...data, via });
    }
    return reread(row.key);
  }

  /** A PENDING payment asks the gateway (again) for its authorization and records the answer. */
  async function resolvePending(row: Row): Promise<Row> {
    if (row.status !== 'PENDING') return row;
    const { value, via } = await gateway.authorize({
      idempotencyKey: gatewayKey('authorize', row.key),
      amount: row.amount,
      currency: row.currency,
      purpose: row.purpose as PaymentPurpose,
      reference: row.reference,
    });
    if (value.outcome === 'AUTHORIZED') {
      await move(row, { status: 'AUTHORIZED', gatewayPaymentId: value.payment.paymentId, via, authorizedAt: new Date() });
    } else {
      await move(row, { status: 'DECLINED', declineReason: value.reason, via });
    }
    return reread(row.key);
  }

  /** Runs a gateway transition and records its result; on INVALID_TRANSITION syncs from the gateway. */
  async function transition(
    row: Row,
    run: (paymentId: string) => Promise<{ value: GatewayTransition; via: string }>,
  ): Promise<Row> {
    const paymentId = row.gatewayPaymentId!;
    const { value, via } = await run(paymentId);
    if (value.outcome === 'DONE') return recordGatewayState(row, value.payment, via);
    const current = await gateway.get(paymentId);
    return recordGatewayState(row, current.value, current.via);
  }

  /**
   * Refunds `amount` of what is left of the capture. Each refund has its gateway key: the one of
   * the payment's key (its first and only refund, as an undo makes it) unless `refundKey` names
   * another (one of several partial refunds, e.g. a reservation change's).
   */
  async function refundCaptured(row: Row, amount: number, refundKey = row.key): Promise<Row> {
    return transition(row, (paymentId) => gateway.refund(paymentId, { idempotencyKey: gatewayKey('refund', refundKey), amount }));
  }

  // Fault points around the writes (`payments.<method>`, and `payments.<method>.after`): see FaultSwitches.guard.
  return faults.guard('payments', {
    /**
     * Authorizes `amount` once per key. A decline is recorded (DECLINED) and throws
     * PAYMENT_DECLINED with the gateway's reason; a retry of a declined key declines again.
     */
    async authorize(input: { key: string; purpose: PaymentPurpose; reference: string; amount: number }): Promise<PaymentView> {
      if (!PURPOSES.includes(input.purpose)) throw new BusinessRejection('INVALID_PURPOSE', `unknown payment purpose "${input.purpose}"`);
      if (!Number.isSafeInteger(input.amount) || input.amount < 1) {
        throw new BusinessRejection('INVALID_AMOUNT', 'amount must be a whole number of currency units, 1 or more');
      }
      if (typeof input.reference !== 'string' || input.reference.length === 0 || input.reference.length > 200) {
        throw new BusinessRejection('INVALID_REFERENCE', 'reference must be 1 to 200 characters');
      }
      let row = await db.payment.findUnique({ where: { key: input.key } });
      if (!row) {
        try {
          row = await db.payment.create({
            data: { key: input.key, purpose: input.purpose, reference: input.reference, amount: input.amount, currency },
          });
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          row = await reread(input.key);
        }
      }
      // Voided before it was ever authorized (an undo overtook a slow attempt): nothing to do.
      if (row.status === 'VOIDED' && row.gatewayPaymentId === null) return view(row);
      if (row.purpose !== input.purpose || row.reference !== input.reference || row.amount !== input.amount) {
        throw new BusinessRejection('IDEMPOTENCY_KEY_REUSED', `payment ${input.key} was made for another request`);
      }
      row = await resolvePending(row);
      if (row.status === 'DECLINED') throw new BusinessRejection('PAYMENT_DECLINED', row.declineReason ?? 'DECLINED');
      return view(row);
    },

    /**
     * AUTHORIZED → CAPTURED, once. Capturing a captured (or since refunded) payment answers
     * it as it is; PAYMENT_NOT_CAPTURABLE for a voided or declined one.
     */
    async capture(input: { key: string }): Promise<PaymentView> {
      let row = await resolvePending(await requirePayment(input.key));
      if (row.status === 'AUTHORIZED') {
        row = await transition(row, (paymentId) => gateway.capture(paymentId, { idempotencyKey: gatewayKey('capture', input.key) }));
      }
      if (row.status === 'CAPTURED' || row.status === 'REFUNDED') return view(row);
      throw new BusinessRejection('PAYMENT_NOT_CAPTURABLE', `payment ${input.key} is ${row.status}`);
    },

    /**
     * The undo of authorize (compensation): voids an AUTHORIZED payment, refunds a CAPTURED
     * one in full, and does nothing when nothing was authorized (no payment, DECLINED) or it
     * is already VOIDED/REFUNDED. With no payment at all it leaves a VOIDED tombstone, so an
     * authorize attempt still in flight under the key charges nothing. `keep` (a cancellation
     * fee) is kept from a CAPTURED payment: only the rest is refunded, and nothing when it is all.
     * A payment refunded in part (partial refunds under their own keys) has the rest of it
     * refunded the same way, less `keep`, under a key of its own (`<key>#rest`).
     */
    async voidPayment(input: { key: string; keep?: number }): Promise<PaymentView | null> {
      let row = await db.payment.findUnique({ where: { key: input.key } });
      if (!row) {
        try {
          await db.payment.create({
            data: { key: input.key, purpose: 'order', reference: '', amount: 0, currency, status: 'VOIDED', voidedAt: new Date() },
          });
          return null;
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          row = await reread(input.key);
        }
      }
      row = await resolvePending(row);
      if (row.status === 'AUTHORIZED') {
        row = await transition(row, (paymentId) => gateway.void(paymentId, { idempotencyKey: gatewayKey('void', input.key) }));
      }
      if (row.status === 'CAPTURED') {
        const keep = Math.max(0, Math.min(row.amount, Math.floor(input.keep ?? 0)));
        if (row.amount - keep > 0) row = await refundCaptured(row, row.amount - keep);
      } else if (row.status === 'REFUNDED' && row.refundedAmount < row.amount) {
        const left = row.amount - row.refundedAmount;
        const keep = Math.max(0, Math.min(left, Math.floor(input.keep ?? 0)));
        if (left - keep > 0) row = await refundCaptured(row, left - keep, `${input.key}#rest`);
      }
      return row.gatewayPaymentId === null && row.status === 'VOIDED' ? null : view(row);
    },

    /**
     * CAPTURED → REFUNDED (in full, or `amount` of it), once. PAYMENT_NOT_CAPTURED when the
     * payment was never captured (void it instead); REFUND_EXCEEDS_CAPTURED for too much.
     * With `refundKey`, one of several partial refunds, idempotent by that key: `amount`
     * (default: what is left) comes from what is left of the capture, also of a payment refunded
     * in part already; the gateway refuses (REFUND_EXCEEDS_CAPTURED) more than is left.
     */
    async refund(input: { key: string; amount?: number; refundKey?: string }): Promise<PaymentView> {
      let row = await resolvePending(await requirePayment(input.key));
      if (row.status === 'REFUNDED' && input.refundKey === undefined) return view(row);
      if (row.status !== 'CAPTURED' && row.status !== 'REFUNDED') throw new BusinessRejection('PAYMENT_NOT_CAPTURED', `payment ${input.key} is ${row.status}`);
      const amount = input.amount ?? row.amount - row.refundedAmount;
      if (!Number.isSafeInteger(amount) || amount < 1) throw new BusinessRejection('INVALID_AMOUNT', 'refund amount must be a whole number, 1 or more');
      if (amount > row.amount) {
        throw new BusinessRejection('REFUND_EXCEEDS_CAPTURED', `refund of ${amount} exceeds the captured ${row.amount}`);
      }
      row = await refundCaptured(row, amount, input.refundKey);
      if (row.status !== 'REFUNDED') throw new BusinessRejection('PAYMENT_NOT_CAPTURED', `payment ${input.key} is ${row.status}`);
      return view(row);
    },

    async getPayment(key: string): Promise<PaymentView> {
      return view(await requirePayment(key));
    },

    /** The payments for one reservation or order, oldest first. */
    async listPayments(filter: { purpose: PaymentPurpose; reference: string }): Promise<PaymentView[]> {
      const rows = await db.payment.findMany({ where: filter, orderBy: { createdAt: 'asc' } });
      return rows.map(view);
    },
  },
  {
    before: ['authorize', 'capture', 'voidPayment', 'refund'],
  });
}

export type PaymentService = ReturnType<typeof createPaymentService>;
