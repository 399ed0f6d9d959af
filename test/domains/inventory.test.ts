import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { createCatalogService } from '../../domains/catalog';
import { BusinessRejection, NotFoundError } from '../../domains/errors';
import { createFaultSwitches } from '../../domains/faults/fault-switch';
import { createEventLog } from '../../domains/events';
import { createInventoryService, type InventoryService } from '../../domains/inventory';
import { connectDb, rejectionOf, uid } from './helpers';

describe('inventory', () => {
  let db: Db;
  let inventory: InventoryService;
  let catalog: ReturnType<typeof createCatalogService>;

  beforeAll(async () => {
    db = await connectDb();
    catalog = createCatalogService({ db });
    inventory = createInventoryService({ db, faults: createFaultSwitches(db, true), catalog, events: createEventLog({ db }) });
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  async function product(stock: number) {
    const p = await catalog.createProduct({ sku: uid('INV-'), name: 'Thing', price: 10 });
    if (stock > 0) await inventory.setStock(p.id, stock);
    return p.id;
  }

  it('reserves every line: available → reserved', async () => {
    const [a, b] = [await product(5), await product(3)];
    const key = uid('res-');
    const r = await inventory.reserveStock({ key, orderId: 'o1', lines: [{ productId: a, quantity: 2 }, { productId: b, quantity: 3 }] });
    expect(r.status).toBe('RESERVED');
    expect(r.lines.map((l) => l.status)).toEqual(['TAKEN', 'TAKEN']);
    expect(await inventory.getStock(a)).toMatchObject({ available: 3, reserved: 2 });
    expect(await inventory.getStock(b)).toMatchObject({ available: 0, reserved: 3 });
  });

  it('all or nothing: one short line moves no stock and names the product; a retry answers the same', async () => {
    const [a, b, c] = [await product(5), await product(1), await product(5)];
    const key = uid('res-');
    const lines = [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 2 },
      { productId: c, quantity: 1 },
    ];
    const err = await rejectionOf(inventory.reserveStock({ key, orderId: 'o2', lines }));
    expect(err).toBeInstanceOf(BusinessRejection);
    expect(err.code).toBe('OUT_OF_STOCK');
    expect(err.message).toContain(b);
    for (const [id, available] of [[a, 5], [b, 1], [c, 5]] as const) {
      expect(await inventory.getStock(id)).toMatchObject({ available, reserved: 0, sold: 0 });
    }
    // Stock arrives, but the key's answer stays the rejection (a new attempt needs a new key).
    await inventory.addStock(b, 5);
    expect(await rejectionOf(inventory.reserveStock({ key, orderId: 'o2', lines }))).toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(await inventory.getStock(a)).toMatchObject({ available: 5, reserved: 0 });
  });

  it('a retry under the same key returns the same reservation without moving stock again', async () => {
    const a = await product(10);
    const key = uid('res-');
    const input = { key, orderId: 'o3', lines: [{ productId: a, quantity: 4 }] };
    const first = await inventory.reserveStock(input);
    const again = await inventory.reserveStock(input);
    const concurrent = await Promise.all([inventory.reserveStock(input), inventory.reserveStock(input)]);
    expect(again).toEqual(first);
    expect(concurrent).toEqual([first, first]);
    expect(await inventory.getStock(a)).toMatchObject({ available: 6, reserved: 4 });
    expect(await rejectionOf(inventory.reserveStock({ ...input, lines: [{ productId: a, quantity: 5 }] }))).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it('merges duplicate lines and validates quantities', async () => {
    const a = await product(10);
    const r = await inventory.reserveStock({
      key: uid('res-'),
      orderId: 'o4',
      lines: [{ productId: a, quantity: 2 }, { productId: a, quantity: 3 }],
    });
    expect(r.lines).toEqual([{ productId: a, quantity: 5, status: 'TAKEN' }]);
    expect(await rejectionOf(inventory.reserveStock({ key: uid(), orderId: 'o', lines: [{ productId: a, quantity: 0 }] }))).toMatchObject({
      code: 'INVALID_QUANTITY',
    });
    expect(await rejectionOf(inventory.reserveStock({ key: uid(), orderId: 'o', lines: [] }))).toMatchObject({ code: 'EMPTY_RESERVATION' });
  });

  it('releaseStock undoes exactly once, and is safe before, during and after', async () => {
    const [a, b] = [await product(4), await product(4)];
    const key = uid('res-');
    await inventory.reserveStock({ key, orderId: 'o5', lines: [{ productId: a, quantity: 3 }, { productId: b, quantity: 1 }] });
    await inventory.releaseStock(key);
    await inventory.releaseStock(key);
    await Promise.all([inventory.releaseStock(key), inventory.releaseStock(key)]);
    expect(await inventory.getStock(a)).toMatchObject({ available: 4, reserved: 0 });
    expect(await inventory.getStock(b)).toMatchObject({ available: 4, reserved: 0 });
    expect((await inventory.getStockReservation(key)).status).toBe('RELEASED');

    // Released before it was ever made: a late reserve attempt under that key moves nothing.
    const never = uid('res-');
    await inventory.releaseStock(never);
    const late = await inventory.reserveStock({ key: never, orderId: 'o6', lines: [{ productId: a, quantity: 1 }] });
    expect(late.status).toBe('RELEASED');
    expect(await inventory.getStock(a)).toMatchObject({ available: 4, reserved: 0 });
  });

  it('finishes a reservation that stopped half way (a crash after the first line), then undoes it exactly', async () => {
    const [a, b] = [await product(2), await product(2)];
    const [first, second] = [a, b].sort();
    const key = uid('res-');
    const lines = [{ productId: first!, quantity: 1 }, { productId: second!, quantity: 2 }];
    // Simulate the first attempt: header made and the first line taken, then the process died.
    await db.stockReservation.create({ data: { key, orderId: 'o7', lines: JSON.stringify(lines) } });
    await db.stockMovement.create({ data: { key, productId: first!, quantity: 1, status: 'TAKEN' } });
    await db.stock.update({ where: { productId: first! }, data: { available: { decrement: 1 }, reserved: { increment: 1 } } });

    const r = await inventory.reserveStock({ key, orderId: 'o7', lines });
    expect(r.status).toBe('RESERVED');
    expect(await inventory.getStock(first!)).toMatchObject({ available: 1, reserved: 1 });
    expect(await inventory.getStock(second!)).toMatchObject({ available: 0, reserved: 2 });
    await inventory.releaseStock(key);
    expect(await inventory.getStock(first!)).toMatchObject({ available: 2, reserved: 0 });
    expect(await inventory.getStock(second!)).toMatchObject({ available: 2, reserved: 0 });
  });

  it('commitStock moves reserved → sold once; release after commit gives it back; commit of nothing is refused', async () => {
    const a = await product(5);
    const key = uid('res-');
    await inventory.reserveStock({ key, orderId: 'o8', lines: [{ productId: a, quantity: 2 }] });
    const committed = await inventory.commitStock(key);
    await inventory.commitStock(key);
    expect(committed.status).toBe('COMMITTED');
    expect(await inventory.getStock(a)).toMatchObject({ available: 3, reserved: 0, sold: 2 });
    await inventory.releaseStock(key);
    expect(await inventory.getStock(a)).toMatchObject({ available: 5, reserved: 0, sold: 0 });
    expect(await rejectionOf(inventory.commitStock(key))).toMatchObject({ code: 'STOCK_NOT_RESERVED' });
    expect(await rejectionOf(inventory.commitStock(uid('none-')))).toMatchObject({ code: 'STOCK_NOT_RESERVED' });
  });

  it('setStock sets the on-hand quantity around what is reserved; addStock never goes below zero', async () => {
    const a = await product(10);
    await inventory.reserveStock({ key: uid('res-'), orderId: 'o9', lines: [{ productId: a, quantity: 4 }] });
    expect(await inventory.setStock(a, 7)).toMatchObject({ available: 3, reserved: 4 });
    expect(await rejectionOf(inventory.setStock(a, 3))).toMatchObject({ code: 'STOCK_BELOW_RESERVED' });
    expect(await inventory.addStock(a, 2)).toMatchObject({ available: 5, reserved: 4 });
    expect(await rejectionOf(inventory.addStock(a, -6))).toMatchObject({ code: 'INSUFFICIENT_STOCK' });
    expect(await inventory.addStock(a, -5)).toMatchObject({ available: 0, reserved: 4 });
    expect(await rejectionOf(inventory.setStock('no-such-product', 1))).toBeInstanceOf(NotFoundError);
  });

  it('30 concurrent reservations for the last 10 items: exactly 10 win, nothing goes negative', async () => {
    const a = await product(10);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => inventory.reserveStock({ key: uid(`race-${i}-`), orderId: `o-${i}`, lines: [{ productId: a, quantity: 1 }] })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(10);
    expect(lost.every((r) => (r.reason as BusinessRejection).code === 'OUT_OF_STOCK')).toBe(true);
    expect(await inventory.getStock(a)).toEqual({ productId: a, available: 0, reserved: 10, sold: 0 });
  });

  it('concurrent multi-line reservations, commits and releases conserve stock per product', async () => {
    const [a, b, c] = [await product(12), await product(9), await product(7)];
    const ids = [a, b, c];
    const keys = Array.from({ length: 24 }, (_, i) => uid(`mix-${i}-`));
    const results = await Promise.allSettled(
      keys.map((key, i) =>
        inventory.reserveStock({
          key,
          orderId: key,
          lines: [
            { productId: ids[i % 3]!, quantity: 1 + (i % 2) },
            { productId: ids[(i + 1) % 3]!, quantity: 1 },
          ],
        }),
      ),
    );
    const won = keys.filter((_, i) => results[i]!.status === 'fulfilled');
    expect(won.length).toBeGreaterThan(0);
    expect(won.length).toBeLessThan(keys.length);
    // Commit half of the winners and release the other half (and some losers, which must be no-ops), concurrently.
    await Promise.all([
      ...won.map((key, i) => (i % 2 === 0 ? inventory.commitStock(key) : inventory.releaseStock(key))),
      ...keys.filter((k) => !won.includes(k)).slice(0, 4).map((key) => inventory.releaseStock(key)),
    ]);
    const reservations = await Promise.all(won.map((key) => inventory.getStockReservation(key)));
    for (const [i, id] of ids.entries()) {
      const s = await inventory.getStock(id);
      expect(Math.min(s.available, s.reserved, s.sold)).toBeGreaterThanOrEqual(0);
      expect(s.available + s.reserved + s.sold).toBe([12, 9, 7][i]);
      const sold = reservations
        .filter((r) => r.status === 'COMMITTED')
        .flatMap((r) => r.lines)
        .filter((l) => l.productId === id)
        .reduce((n, l) => n + l.quantity, 0);
      expect(s.sold).toBe(sold);
      expect(s.reserved).toBe(0);
    }
  });

  it('a fault switch fails reserveStock before anything moves', async () => {
    const faults = createFaultSwitches(db, true);
    const a = await product(3);
    const key = uid('fault-');
    await faults.arm('inventory.reserveStock', { match: key, times: 1 });
    const err = await rejectionOf(inventory.reserveStock({ key, orderId: 'o', lines: [{ productId: a, quantity: 1 }] }));
    expect(err.name).toBe('InjectedFault');
    expect(await inventory.getStock(a)).toMatchObject({ available: 3, reserved: 0 });
    await expect(inventory.reserveStock({ key, orderId: 'o', lines: [{ productId: a, quantity: 1 }] })).resolves.toMatchObject({ status: 'RESERVED' });
  });
});
