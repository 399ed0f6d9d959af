import type { Db } from '../../db/client';
import type { EventType, EventWriter } from '../events';
import { BusinessRejection, NotFoundError, isUniqueViolation } from '../errors';
import type { FaultSwitches } from '../faults/fault-switch';

/**
 * Stock of a product. `available` can be reserved; `reserved` is held for orders in
 * flight; `sold` has left with confirmed orders. On hand = available + reserved.
 * Conservation: whatever was put in (setStock/addStock) = available + reserved + sold.
 */
export interface StockView {
  productId: string;
  available: number;
  reserved: number;
  sold: number;
}

export interface StockLine {
  productId: string;
  quantity: number;
}

export type StockReservationStatus = 'PENDING' | 'RESERVED' | 'COMMITTED' | 'REJECTED' | 'RELEASED';
export type MovementStatus = 'PENDING' | 'TAKEN' | 'COMMITTED' | 'RELEASED';

export interface StockReservationView {
  key: string;
  orderId: string;
  status: StockReservationStatus;
  lines: Array<StockLine & { status: MovementStatus }>;
}

/** What inventory needs from the catalog (optional): whether a product exists. */
export interface ProductDirectory {
  getProducts(ids: string[], options?: { fresh?: boolean }): Promise<Array<{ id: string }>>;
}

export interface InventoryServiceDeps {
  db: Db;
  faults: FaultSwitches;
  /** When given, admin stock changes for unknown products answer NotFoundError. */
  catalog?: ProductDirectory;
  /** The domain event log (stock.reserved, .committed, .released), written with the reservation's status. */
  events: EventWriter;
}

/**
 * The inventory domain. Every stock change is a conditional UPDATE guarded so that no
 * column goes negative. A reservation moves stock line by line; each line has a
 * StockMovement row keyed by (reservation key, product) whose status changes in the
 * SAME transaction as the Stock row (a two-statement batch, where either statement
 * failing its guard rolls both back). So a line is taken at most once, given back at
 * most once, and a retry or an undo always knows exactly what moved.
 */
export function createInventoryService({ db, faults, catalog, events }: InventoryServiceDeps) {
  const HEADER_EVENTS: Partial<Record<StockReservationStatus, EventType>> = { RESERVED: 'stock.reserved', COMMITTED: 'stock.committed', RELEASED: 'stock.released' };

  /**
   * Moves reservation `key`'s header from `from` to `to` with its domain event, in one
   * transaction; false when the header was not in `from` (nothing written).
   */
  async function moveHeader(key: string, from: StockReservationStatus, to: StockReservationStatus, reason?: string): Promise<boolean> {
    const type = HEADER_EVENTS[to];
    const update = db.stockReservation.update({ where: { key, status: from }, data: { status: to, ...(reason !== undefined && { reason }) } });
    try {
      if (!type) {
        await update;
        return true;
      }
      const header = await db.stockReservation.findUniqueOrThrow({ where: { key } });
      await db.$transaction([
        update,
        events.stage({
          type,
          key,
          subject: `stock/${key}`,
          data: { reservationKey: key, orderId: header.orderId, lines: JSON.parse(header.lines) as unknown, previousStatus: from },
        }),
      ]);
      return true;
    } catch (err) {
      if (isRecordNotFound(err)) return false;
      throw err;
    }
  }

  async function requireProduct(productId: string) {
    if (!catalog) return;
    const found = await catalog.getProducts([productId], { fresh: true });
    if (found.length === 0) throw new NotFoundError(`product ${productId} does not exist`);
  }

  async function stockOf(productId: string): Promise<StockView> {
    const row = await db.stock.findUnique({ where: { productId } });
    return row
      ? { productId, available: row.available, reserved: row.reserved, sold: row.sold }
      : { productId, available: 0, reserved: 0, sold: 0 };
  }

  async function ensureStockRow(productId: string) {
    try {
      await db.stock.upsert({ where: { productId }, create: { productId }, update: {} });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // a concurrent twin created it
    }
  }

  async function reservationView(key: string): Promise<StockReservationView> {
    const header = await db.stockReservation.findUniqueOrThrow({ where: { key } });
    const movements = await db.stockMovement.findMany({ where: { key }, orderBy: { productId: 'asc' } });
    return {
      key,
      orderId: header.orderId,
      status: header.status as StockReservationStatus,
      lines: movements.map((m) => ({ productId: m.productId, quantity: m.quantity, status: m.status as MovementStatus })),
    };
  }

  /**
   * Moves one line available → reserved, once. True when the line is taken (by this call
   * or a concurrent twin) or was given back by an undo meanwhile; false on a shortfall.
   */
  async function takeLine(key: string, line: StockLine): Promise<boolean> {
    const where = { key_productId: { key, productId: line.productId } };
    try {
      await db.stockMovement.create({ data: { key, productId: line.productId, quantity: line.quantity } });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    try {
      await db.$transaction([
        db.stockMovement.update({ where: { ...where, status: 'PENDING' }, data: { status: 'TAKEN' } }),
        db.stock.update({
          where: { productId: line.productId, available: { gte: line.quantity } },
          data: { available: { decrement: line.quantity }, reserved: { increment: line.quantity } },
        }),
      ]);
      return true;
    } catch (err) {
      if (!isRecordNotFound(err)) throw err;
      // Either the movement is no longer PENDING (someone else moved it) or the stock is short.
      const movement = await db.stockMovement.findUnique({ where });
      return movement !== null && movement.status !== 'PENDING';
    }
  }

  /** Gives back everything reservation `key` moved; exact whatever state each line is in. */
  async function undoMovements(key: string): Promise<void> {
    const movements = await db.stockMovement.findMany({ where: { key } });
    for (const m of movements) {
      const where = { key_productId: { key, productId: m.productId } };
      for (let status = m.status; status !== 'RELEASED'; ) {
        try {
          if (status === 'PENDING') {
            await db.stockMovement.update({ where: { ...where, status: 'PENDING' }, data: { status: 'RELEASED' } });
          } else if (status === 'TAKEN') {
            await db.$transaction([
              db.stockMovement.update({ where: { ...where, status: 'TAKEN' }, data: { status: 'RELEASED' } }),
              db.stock.update({
                where: { productId: m.productId },
                data: { reserved: { decrement: m.quantity }, available: { increment: m.quantity } },
              }),
            ]);
          } else if (status === 'COMMITTED') {
            await db.$transaction([
              db.stockMovement.update({ where: { ...where, status: 'COMMITTED' }, data: { status: 'RELEASED' } }),
              db.stock.update({
                where: { productId: m.productId },
                data: { sold: { decrement: m.quantity }, available: { increment: m.quantity } },
              }),
            ]);
          }
          status = 'RELEASED';
        } catch (err) {
          if (!isRecordNotFound(err)) throw err;
          // Its status changed under us (a concurrent take, commit or undo): look again.
          status = (await db.stockMovement.findUniqueOrThrow({ where })).status;
        }
      }
    }
  }

  /** The answer to a reservation whose header says how it ended. */
  async function settle(key: string, header: { status: string; reason: string | null }): Promise<StockReservationView> {
    if (header.status === 'REJECTED') {
      await undoMovements(key); // finishes an undo a crash may have cut short
      throw new BusinessRejection('OUT_OF_STOCK', header.reason ?? 'out of stock');
    }
    if (header.status === 'RELEASED') await undoMovements(key); // a late attempt after the undo gives back what it took
    return reservationView(key);
  }

  // Fault points around the writes (`inventory.<method>`, and `inventory.<method>.after`): see FaultSwitches.guard.
  return faults.guard('inventory', {
    async getStock(productId: string): Promise<StockView> {
      return stockOf(productId);
    },

    async listStock(productIds: string[]): Promise<StockView[]> {
      return Promise.all([...new Set(productIds)].map(stockOf));
    },

    /**
     * Admin: sets the ON-HAND quantity (available + reserved) to `onHand`. Reserved stock
     * stays reserved, so available becomes onHand - reserved; refused with
     * STOCK_BELOW_RESERVED when onHand < reserved. Sold stock is not on hand and is kept.
     */
    async setStock(productId: string, onHand: number): Promise<StockView> {
      if (!Number.isSafeInteger(onHand) || onHand < 0) {
        throw new BusinessRejection('INVALID_QUANTITY', 'stock must be a whole number, 0 or more');
      }
      await requireProduct(productId);
      await ensureStockRow(productId);
      for (;;) {
        const row = await db.stock.findUniqueOrThrow({ where: { productId } });
        if (onHand < row.reserved) {
          throw new BusinessRejection('STOCK_BELOW_RESERVED', `product ${productId} has ${row.reserved} reserved; on hand cannot be ${onHand}`);
        }
        // Compare-and-set on `reserved`: a reservation moving meanwhile makes us read again.
        const { count } = await db.stock.updateMany({
          where: { productId, reserved: row.reserved },
          data: { available: onHand - row.reserved },
        });
        if (count === 1) return stockOf(productId);
      }
    },

    /** Admin: adds `quantity` to available (a delivery); a negative quantity takes stock out, never below 0. */
    async addStock(productId: string, quantity: number): Promise<StockView> {
      if (!Number.isSafeInteger(quantity) || quantity === 0) {
        throw new BusinessRejection('INVALID_QUANTITY', 'quantity must be a whole number other than 0');
      }
      await requireProduct(productId);
      await ensureStockRow(productId);
      const { count } = await db.stock.updateMany({
        where: { productId, ...(quantity < 0 ? { available: { gte: -quantity } } : {}) },
        data: { available: { increment: quantity } },
      });
      if (count === 0) throw new BusinessRejection('INSUFFICIENT_STOCK', `product ${productId} has fewer than ${-quantity} available`);
      return stockOf(productId);
    },

    /**
     * Reserves every line, or none: on the first line short of stock, the lines taken
     * so far are given back and OUT_OF_STOCK names the product. Idempotent by `key`: a
     * retry returns the same reservation (or the same rejection). Duplicate productIds
     * are merged (quantities added). The same key with other lines: IDEMPOTENCY_KEY_REUSED.
     */
    async reserveStock(input: { key: string; orderId: string; lines: StockLine[] }): Promise<StockReservationView> {
      const lines = normaliseLines(input.lines);
      const fingerprint = JSON.stringify(lines);
      // The first attempt creates the header; a retry (or an undo that came first) meets the one there.
      let header;
      try {
        header = await db.stockReservation.create({ data: { key: input.key, orderId: input.orderId, lines: fingerprint } });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        header = await db.stockReservation.findUniqueOrThrow({ where: { key: input.key } });
      }
      if (header.status === 'RELEASED') return settle(input.key, header);
      if (header.lines !== fingerprint || header.orderId !== input.orderId) {
        throw new BusinessRejection('IDEMPOTENCY_KEY_REUSED', `stock reservation ${input.key} was made for another request`);
      }
      if (header.status !== 'PENDING') return settle(input.key, header);

      for (const line of lines) {
        if (await takeLine(input.key, line)) continue;
        const { available } = await stockOf(line.productId);
        const reason = `product ${line.productId} is out of stock: ${line.quantity} wanted, ${available} available`;
        await moveHeader(input.key, 'PENDING', 'REJECTED', reason);
        return settle(input.key, await db.stockReservation.findUniqueOrThrow({ where: { key: input.key } }));
      }
      // Still PENDING until now, so no undo had begun (it marks the header first): every line is TAKEN.
      if (await moveHeader(input.key, 'PENDING', 'RESERVED')) return { key: input.key, orderId: input.orderId, status: 'RESERVED', lines: lines.map((l) => ({ ...l, status: 'TAKEN' })) };
      return settle(input.key, await db.stockReservation.findUniqueOrThrow({ where: { key: input.key } }));
    },

    /**
     * Undoes reserveStock(key) (and commitStock(key)): reserved and sold stock go back to
     * available. Safe when the reservation never happened (it leaves a tombstone, so a
     * late reserve attempt under the key moves nothing for good), half happened, or was undone.
     */
    async releaseStock(key: string): Promise<void> {
      for (;;) {
        const header = await db.stockReservation.findUnique({ where: { key } });
        if (!header) {
          try {
            await db.stockReservation.create({ data: { key, orderId: '', lines: '[]', status: 'RELEASED' } });
            break;
          } catch (err) {
            if (!isUniqueViolation(err)) throw err;
            continue; // a concurrent reserve made it: release that
          }
        }
        const status = header.status as StockReservationStatus;
        if (status === 'RELEASED' || status === 'REJECTED') break;
        if (await moveHeader(key, status, 'RELEASED')) break;
        // Its status moved under us: look again.
      }
      await undoMovements(key);
    },

    /**
     * The order is confirmed: the reserved stock is sold (reserved → sold). Idempotent.
     * STOCK_NOT_RESERVED when reservation `key` is missing, rejected or released.
     */
    async commitStock(key: string): Promise<StockReservationView> {
      const header = await db.stockReservation.findUnique({ where: { key } });
      if (!header || (header.status !== 'RESERVED' && header.status !== 'COMMITTED')) {
        if (header?.status === 'PENDING') throw new Error(`stock reservation ${key} is still being made`); // retryable
        throw new BusinessRejection('STOCK_NOT_RESERVED', `no stock is reserved under ${key}`);
      }
      if (header.status === 'RESERVED') {
        const taken = await db.stockMovement.findMany({ where: { key, status: 'TAKEN' } });
        for (const m of taken) {
          try {
            await db.$transaction([
              db.stockMovement.update({
                where: { key_productId: { key, productId: m.productId }, status: 'TAKEN' },
                data: { status: 'COMMITTED' },
              }),
              db.stock.update({
                where: { productId: m.productId },
                data: { reserved: { decrement: m.quantity }, sold: { increment: m.quantity } },
              }),
            ]);
          } catch (err) {
            if (!isRecordNotFound(err)) throw err; // committed by a twin, or released meanwhile
          }
        }
        // RESERVED until now, so no undo had begun (it marks the header first): every line is COMMITTED.
        if (await moveHeader(key, 'RESERVED', 'COMMITTED')) {
          const lines = JSON.parse(header.lines) as StockLine[];
          return { key, orderId: header.orderId, status: 'COMMITTED', lines: lines.map((l) => ({ ...l, status: 'COMMITTED' })) };
        }
      }
      const view = await reservationView(key);
      if (view.status !== 'COMMITTED') throw new BusinessRejection('STOCK_NOT_RESERVED', `stock under ${key} was released`);
      return view;
    },

    /** The reservation made under `key`; NotFoundError when there is none. */
    async getStockReservation(key: string): Promise<StockReservationView> {
      const header = await db.stockReservation.findUnique({ where: { key } });
      if (!header) throw new NotFoundError(`no stock reservation ${key}`);
      return reservationView(key);
    },
  },
  {
    before: ['reserveStock', 'releaseStock', 'commitStock'],
  });
}

export type InventoryService = ReturnType<typeof createInventoryService>;

/** Validates lines, merges duplicate products (quantities added) and sorts them by product. */
export function normaliseLines(lines: StockLine[]): StockLine[] {
  if (!Array.isArray(lines) || lines.length === 0) throw new BusinessRejection('EMPTY_RESERVATION', 'at least one line is needed');
  const merged = new Map<string, number>();
  for (const line of lines) {
    if (typeof line.productId !== 'string' || line.productId.length === 0) {
      throw new BusinessRejection('INVALID_LINE', 'every line needs a productId');
    }
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) {
      throw new BusinessRejection('INVALID_QUANTITY', `quantity of ${line.productId} must be a whole number, 1 or more`);
    }
    merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
  }
  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([productId, quantity]) => ({ productId, quantity }));
}

/** True for Prisma's "record to update not found" (P2025): a guard in `where` did not match. */
export function isRecordNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2025';
}
