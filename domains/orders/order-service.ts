import { randomUUID } from 'node:crypto';
import type { Prisma } from '@prisma/client';
import type { Db } from '../../db/client';
import type { EventType, EventWriter } from '../events';
import { BusinessRejection, NotFoundError, isUniqueViolation } from '../errors';
import type { FaultSwitches } from '../faults/fault-switch';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED';

export interface OrderLineView {
  productId: string;
  quantity: number;
  /** The catalog price when the order was made (whole currency units). */
  unitPrice: number;
  lineTotal: number;
}

export interface OrderView {
  id: string;
  key: string;
  userId: string;
  status: OrderStatus;
  cancelReason: string | null;
  /** Whole currency units, computed from catalog prices. */
  total: number;
  lines: OrderLineView[];
  createdAt: string;
  updatedAt: string;
}

export interface OrderItem {
  productId: string;
  quantity: number;
}

/** What orders need from the catalog: current prices (fresh: not from a cache). */
export interface OrderCatalog {
  getProducts(ids: string[], options?: { fresh?: boolean }): Promise<Array<{ id: string; price: number }>>;
}

/** What orders need from notifications: a write queuing an event, for the order's own transaction. */
export interface OrderEventOutbox {
  stage(event: { eventKey: string; type: string; userId?: string | null; payload: Record<string, unknown> }): Prisma.PrismaPromise<unknown>;
}

export interface OrderServiceDeps {
  db: Db;
  faults: FaultSwitches;
  catalog: OrderCatalog;
  outbox: OrderEventOutbox;
  /** The domain event log (order.created, .confirmed, .cancelled), written in the same transaction. */
  events: EventWriter;
}

export const MAX_ORDER_LINES = 100;
export const MAX_LINE_QUANTITY = 10_000;

const EVENT_TYPES = {
  PENDING: 'order.created',
  CONFIRMED: 'order.confirmed',
  CANCELLED: 'order.cancelled',
} as const satisfies Record<OrderStatus, EventType>;

type OrderRow = Prisma.OrderGetPayload<{ include: { lines: true } }>;

/**
 * Orders: PENDING → CONFIRMED, PENDING → CANCELLED (and CONFIRMED → CANCELLED only as a
 * saga's compensation). Every status change, creation included, queues a notification
 * in the same transaction (a batch of the guarded order update and the outbox insert).
 */
export function createOrderService({ db, faults, catalog, outbox, events }: OrderServiceDeps) {
  const view = (o: OrderRow): OrderView => ({
    id: o.id,
    key: o.key,
    userId: o.userId,
    status: o.status as OrderStatus,
    cancelReason: o.cancelReason,
    total: o.total,
    lines: [...o.lines]
      .sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0))
      .map((l) => ({ productId: l.productId, quantity: l.quantity, unitPrice: l.unitPrice, lineTotal: l.unitPrice * l.quantity })),
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  });

  /** The writes that tell of a status change: the owner's notification and the domain event. */
  const event = (o: { id: string; key: string; userId: string; total: number }, status: OrderStatus, extra: Record<string, unknown> = {}) => [
    outbox.stage({
      eventKey: `order:${o.id}:${status}`,
      type: EVENT_TYPES[status],
      userId: o.userId,
      payload: { orderId: o.id, status, total: o.total, ...extra },
    }),
    events.stage({
      type: EVENT_TYPES[status],
      key: o.key,
      subject: `order/${o.id}`,
      data: { orderId: o.id, userId: o.userId, status, total: o.total, ...extra },
    }),
  ];

  const findById = (id: string) => db.order.findUnique({ where: { id }, include: { lines: true } });
  const findByKey = (key: string) => db.order.findUnique({ where: { key }, include: { lines: true } });

  /** A tombstone left by an undo that ran before any order existed under its key. */
  const isTombstone = (o: { userId: string; total: number; status: string }) => o.userId === '' && o.status === 'CANCELLED';

  /** Moves an order to `to` with its event, from whatever allowed state it is in now. */
  async function changeStatus(
    orderId: string,
    to: 'CONFIRMED' | 'CANCELLED',
    decide: (current: OrderRow) => 'apply' | 'done',
    data: { cancelReason?: string } = {},
  ): Promise<OrderView> {
    for (;;) {
      const order = await findById(orderId);
      if (!order) throw new NotFoundError(`order ${orderId} does not exist`);
      if (decide(order) === 'done') return view(order);
      try {
        const [updated] = await db.$transaction([
          db.order.update({ where: { id: orderId, status: order.status }, data: { status: to, ...data } }),
          ...event(order, to, { previousStatus: order.status, ...(data.cancelReason ? { reason: data.cancelReason } : {}) }),
        ]);
        // The update answers the row as it now is; its lines never change.
        return view({ ...updated, lines: order.lines });
      } catch (err) {
        if (!isRecordNotFound(err)) throw err;
        // The status moved under us: decide again.
      }
    }
  }

  function cancelDecision(compensation: boolean) {
    return (o: OrderRow): 'apply' | 'done' => {
      if (o.status === 'CANCELLED') return 'done';
      if (o.status === 'CONFIRMED' && !compensation) {
        throw new BusinessRejection('ORDER_ALREADY_CONFIRMED', `order ${o.id} is confirmed and cannot be cancelled`);
      }
      return 'apply';
    };
  }

  // Fault points around the writes (`orders.<method>`, and `orders.<method>.after`): see FaultSwitches.guard.
  return faults.guard('orders', {
    /**
     * Creates a PENDING order once per key. Items: 1..100 lines, quantity a whole number
     * 1..10000, duplicate productIds MERGED (quantities added). Unit prices and the total
     * come from the catalog (read fresh), never from the caller. UNKNOWN_PRODUCT names
     * the products the catalog does not have. The same key with other items or another
     * user: IDEMPOTENCY_KEY_REUSED.
     */
    async createOrder(input: { key: string; userId: string; items: OrderItem[] }): Promise<OrderView> {
      const items = normaliseItems(input.items);
      if (typeof input.userId !== 'string' || input.userId.length === 0) {
        throw new BusinessRejection('INVALID_USER', 'an order needs a user');
      }
      const sameRequest = (o: OrderRow) =>
        o.userId === input.userId &&
        JSON.stringify(view(o).lines.map((l) => ({ productId: l.productId, quantity: l.quantity }))) === JSON.stringify(items);
      const existing = await findByKey(input.key);
      if (existing) {
        if (isTombstone(existing)) return view(existing);
        if (!sameRequest(existing)) throw new BusinessRejection('IDEMPOTENCY_KEY_REUSED', `order ${input.key} was made for another request`);
        return view(existing);
      }
      const products = await catalog.getProducts(
        items.map((i) => i.productId),
        { fresh: true },
      );
      const prices = new Map(products.map((p) => [p.id, p.price]));
      const unknown = items.filter((i) => !prices.has(i.productId)).map((i) => i.productId);
      if (unknown.length > 0) throw new BusinessRejection('UNKNOWN_PRODUCT', `unknown product(s): ${unknown.join(', ')}`);
      const lines = items.map((i) => ({ productId: i.productId, quantity: i.quantity, unitPrice: prices.get(i.productId)! }));
      const total = lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
      if (!Number.isSafeInteger(total)) throw new BusinessRejection('ORDER_TOO_LARGE', 'the order total is too large');

      const id = randomUUID();
      // Timestamps set here rather than by Prisma, so that the answer needs no second read.
      const now = new Date();
      try {
        await db.$transaction([
          db.order.create({ data: { id, key: input.key, userId: input.userId, total, createdAt: now, updatedAt: now, lines: { create: lines } } }),
          ...event({ id, key: input.key, userId: input.userId, total }, 'PENDING', { lines }),
        ]);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        const twin = await findByKey(input.key); // a concurrent attempt under the same key won
        if (!twin) throw err;
        if (!isTombstone(twin) && !sameRequest(twin)) {
          throw new BusinessRejection('IDEMPOTENCY_KEY_REUSED', `order ${input.key} was made for another request`);
        }
        return view(twin);
      }
      return view({ id, key: input.key, userId: input.userId, status: 'PENDING', cancelReason: null, total, createdAt: now, updatedAt: now, lines: lines.map((l) => ({ ...l, id: '', orderId: id })) });
    },

    /** PENDING → CONFIRMED; confirming a confirmed order answers it; ORDER_CANCELLED for a cancelled one. */
    async confirmOrder(orderId: string): Promise<OrderView> {
      return changeStatus(orderId, 'CONFIRMED', (o) => {
        if (o.status === 'CONFIRMED') return 'done';
        if (o.status === 'CANCELLED') throw new BusinessRejection('ORDER_CANCELLED', `order ${o.id} is cancelled: ${o.cancelReason ?? ''}`);
        return 'apply';
      });
    },

    /**
     * Cancels an order with a reason; cancelling a cancelled order answers it (the first
     * reason stays). A CONFIRMED order is refused (ORDER_ALREADY_CONFIRMED) unless
     * `compensation` is set: a saga undoing its own work. With `userId`, only that user's
     * order is found (NotFoundError otherwise).
     */
    async cancelOrder(orderId: string, reason: string, opts: { compensation?: boolean; userId?: string } = {}): Promise<OrderView> {
      if (opts.userId !== undefined) {
        const owned = await db.order.findFirst({ where: { id: orderId, userId: opts.userId }, select: { id: true } });
        if (!owned) throw new NotFoundError(`order ${orderId} does not exist`);
      }
      return changeStatus(orderId, 'CANCELLED', cancelDecision(opts.compensation ?? false), { cancelReason: cleanReason(reason) });
    },

    /**
     * The undo of createOrder(key): cancels the order made under `key` whatever its state
     * (compensation). Safe when it never happened (leaves a cancelled tombstone so a late
     * create attempt makes nothing), or was already cancelled.
     */
    async undoCreateOrder(key: string, reason: string): Promise<void> {
      let order = await findByKey(key);
      if (!order) {
        try {
          await db.order.create({ data: { key, userId: '', total: 0, status: 'CANCELLED', cancelReason: cleanReason(reason) } });
          return;
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          order = (await findByKey(key))!;
        }
      }
      await changeStatus(order.id, 'CANCELLED', cancelDecision(true), { cancelReason: cleanReason(reason) });
    },

    /** The user's orders, newest first. */
    async listOrders(userId: string, opts: { limit?: number } = {}): Promise<OrderView[]> {
      if (!userId) return [];
      const rows = await db.order.findMany({
        where: { userId },
        include: { lines: true },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: Math.min(Math.max(opts.limit ?? 100, 1), 500),
      });
      return rows.map(view);
    },

    /** The user's order; NotFoundError for a missing order AND for another user's (no leak of existence). */
    async getOrder(orderId: string, userId: string): Promise<OrderView> {
      const order = await findById(orderId);
      if (!order || order.userId !== userId || !userId) throw new NotFoundError(`order ${orderId} does not exist`);
      return view(order);
    },

    /** Any order by id, for sagas and operators (no ownership check). */
    async loadOrder(orderId: string): Promise<OrderView> {
      const order = await findById(orderId);
      if (!order) throw new NotFoundError(`order ${orderId} does not exist`);
      return view(order);
    },

    /** The order made under `key`, or null. */
    async findOrderByKey(key: string): Promise<OrderView | null> {
      const order = await findByKey(key);
      return order && !isTombstone(order) ? view(order) : null;
    },
  },
  {
    before: ['createOrder', 'confirmOrder', 'cancelOrder', 'undoCreateOrder'],
  });
}

export type OrderService = ReturnType<typeof createOrderService>;

/** Validates items, merges duplicate products (quantities added), sorts by product. */
export function normaliseItems(items: OrderItem[]): OrderItem[] {
  if (!Array.isArray(items) || items.length === 0) throw new BusinessRejection('EMPTY_ORDER', 'an order needs at least one item');
  if (items.length > MAX_ORDER_LINES) throw new BusinessRejection('TOO_MANY_ITEMS', `an order has at most ${MAX_ORDER_LINES} items`);
  const merged = new Map<string, number>();
  for (const item of items) {
    if (typeof item?.productId !== 'string' || item.productId.length === 0) {
      throw new BusinessRejection('INVALID_ITEM', 'every item needs a productId');
    }
    if (!Number.isSafeInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_LINE_QUANTITY) {
      throw new BusinessRejection('INVALID_QUANTITY', `quantity of ${item.productId} must be a whole number from 1 to ${MAX_LINE_QUANTITY}`);
    }
    merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  }
  for (const [productId, quantity] of merged) {
    if (quantity > MAX_LINE_QUANTITY) {
      throw new BusinessRejection('INVALID_QUANTITY', `quantity of ${productId} must be a whole number from 1 to ${MAX_LINE_QUANTITY}`);
    }
  }
  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => ({ productId, quantity }));
}

/** A cancel reason as stored: trimmed, at most 500 characters, "cancelled" when blank. */
function cleanReason(reason: unknown): string {
  const text = typeof reason === 'string' ? reason.trim().slice(0, 500) : '';
  return text || 'cancelled';
}

function isRecordNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2025';
}
