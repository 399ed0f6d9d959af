import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { createDomains, type Domains } from '../../domains';
import { NotFoundError } from '../../domains/errors';
import { connectDb, rejectionOf, uid } from './helpers';

describe('orders', () => {
  let db: Db;
  let d: Domains;

  beforeAll(async () => {
    db = await connectDb();
    d = createDomains(db, { faultsEnabled: true });
  });
  afterAll(async () => {
    await db.$disconnect();
  });

  const product = (price: number) => d.catalog.createProduct({ sku: uid('ORD-'), name: 'Item', price });
  const events = (orderId: string) =>
    db.notificationOutbox.findMany({ where: { eventKey: { startsWith: `order:${orderId}:` } } });

  it('computes unit prices and the total from the catalog, never from the caller; duplicates are merged', async () => {
    const [a, b] = [await product(120), await product(35)];
    const userId = uid('user-');
    const order = await d.orders.createOrder({
      key: uid('order-'),
      userId,
      items: [
        { productId: a.id, quantity: 2, unitPrice: 1 } as never,
        { productId: b.id, quantity: 1 },
        { productId: b.id, quantity: 2 },
      ],
    });
    expect(order.status).toBe('PENDING');
    expect(order.total).toBe(2 * 120 + 3 * 35);
    expect(order.lines).toEqual(
      [
        { productId: a.id, quantity: 2, unitPrice: 120, lineTotal: 240 },
        { productId: b.id, quantity: 3, unitPrice: 35, lineTotal: 105 },
      ].sort((x, y) => (x.productId < y.productId ? -1 : 1)),
    );
    // The price of the day is kept on the order: a later price change does not alter it.
    await d.catalog.updateProduct(a.id, { price: 999 });
    expect((await d.orders.getOrder(order.id, userId)).total).toBe(345);
  });

  it('uses the current price even when the catalog cache holds an older one', async () => {
    const a = await product(50);
    await d.catalog.getProduct(a.id); // cached at 50
    await db.product.update({ where: { id: a.id }, data: { price: 70 } }); // changed by another process
    const order = await d.orders.createOrder({ key: uid('order-'), userId: uid('user-'), items: [{ productId: a.id, quantity: 1 }] });
    expect(order.total).toBe(70);
  });

  it('rejects unknown products, bad quantities and empty orders', async () => {
    const a = await product(10);
    const userId = uid('user-');
    const unknown = await rejectionOf(
      d.orders.createOrder({ key: uid(), userId, items: [{ productId: a.id, quantity: 1 }, { productId: 'ghost', quantity: 1 }] }),
    );
    expect(unknown).toMatchObject({ code: 'UNKNOWN_PRODUCT' });
    expect(unknown.message).toContain('ghost');
    for (const quantity of [0, -1, 1.5]) {
      expect(await rejectionOf(d.orders.createOrder({ key: uid(), userId, items: [{ productId: a.id, quantity }] }))).toMatchObject({
        code: 'INVALID_QUANTITY',
      });
    }
    expect(await rejectionOf(d.orders.createOrder({ key: uid(), userId, items: [] }))).toMatchObject({ code: 'EMPTY_ORDER' });
  });

  it('is idempotent by key, and refuses the key for another request', async () => {
    const a = await product(10);
    const userId = uid('user-');
    const input = { key: uid('order-'), userId, items: [{ productId: a.id, quantity: 3 }] };
    const [first, second] = await Promise.all([d.orders.createOrder(input), d.orders.createOrder(input)]);
    expect(second).toEqual(first);
    expect(await d.orders.createOrder(input)).toEqual(first);
    expect(await db.order.count({ where: { key: input.key } })).toBe(1);
    expect(await rejectionOf(d.orders.createOrder({ ...input, userId: uid('other-') }))).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await rejectionOf(d.orders.createOrder({ ...input, items: [{ productId: a.id, quantity: 4 }] }))).toMatchObject({
      code: 'IDEMPOTENCY_KEY_REUSED',
    });
  });

  it("getOrder of another user's order is NotFoundError; listOrders is the user's, newest first", async () => {
    const a = await product(10);
    const [alice, bob] = [uid('alice-'), uid('bob-')];
    const o1 = await d.orders.createOrder({ key: uid(), userId: alice, items: [{ productId: a.id, quantity: 1 }] });
    await new Promise((r) => setTimeout(r, 5)); // distinct createdAt (millisecond resolution)
    const o2 = await d.orders.createOrder({ key: uid(), userId: alice, items: [{ productId: a.id, quantity: 2 }] });
    await d.orders.createOrder({ key: uid(), userId: bob, items: [{ productId: a.id, quantity: 1 }] });
    expect(await rejectionOf(d.orders.getOrder(o1.id, bob))).toBeInstanceOf(NotFoundError);
    expect(await rejectionOf(d.orders.getOrder('missing', alice))).toBeInstanceOf(NotFoundError);
    expect((await d.orders.listOrders(alice)).map((o) => o.id)).toEqual([o2.id, o1.id]);
    expect(await rejectionOf(d.orders.cancelOrder(o1.id, 'mine now', { userId: bob }))).toBeInstanceOf(NotFoundError);
  });

  it('confirm and cancel are idempotent; a confirmed order is cancelled only by compensation', async () => {
    const a = await product(10);
    const userId = uid('user-');
    const o = await d.orders.createOrder({ key: uid(), userId, items: [{ productId: a.id, quantity: 1 }] });
    expect((await d.orders.confirmOrder(o.id)).status).toBe('CONFIRMED');
    expect((await d.orders.confirmOrder(o.id)).status).toBe('CONFIRMED');
    expect(await rejectionOf(d.orders.cancelOrder(o.id, 'changed my mind'))).toMatchObject({ code: 'ORDER_ALREADY_CONFIRMED' });
    const undone = await d.orders.cancelOrder(o.id, 'payment capture failed', { compensation: true });
    expect(undone).toMatchObject({ status: 'CANCELLED', cancelReason: 'payment capture failed' });
    expect(await d.orders.cancelOrder(o.id, 'again')).toMatchObject({ status: 'CANCELLED', cancelReason: 'payment capture failed' });
    expect(await rejectionOf(d.orders.confirmOrder(o.id))).toMatchObject({ code: 'ORDER_CANCELLED' });
    expect(await rejectionOf(d.orders.confirmOrder('missing'))).toBeInstanceOf(NotFoundError);

    const p = await d.orders.createOrder({ key: uid(), userId, items: [{ productId: a.id, quantity: 1 }] });
    expect(await d.orders.cancelOrder(p.id, 'OUT_OF_STOCK', { userId })).toMatchObject({ status: 'CANCELLED', cancelReason: 'OUT_OF_STOCK' });
  });

  it('every status change queues one notification with it', async () => {
    const a = await product(10);
    const userId = uid('user-');
    const o = await d.orders.createOrder({ key: uid(), userId, items: [{ productId: a.id, quantity: 1 }] });
    await d.orders.confirmOrder(o.id);
    await d.orders.confirmOrder(o.id);
    await Promise.all([
      d.orders.cancelOrder(o.id, 'rollback', { compensation: true }),
      d.orders.cancelOrder(o.id, 'rollback', { compensation: true }),
    ]);
    const queued = await events(o.id);
    expect(queued.map((e) => [e.eventKey, e.type, e.userId]).sort()).toEqual(
      [
        [`order:${o.id}:PENDING`, 'order.created', userId],
        [`order:${o.id}:CONFIRMED`, 'order.confirmed', userId],
        [`order:${o.id}:CANCELLED`, 'order.cancelled', userId],
      ].sort(),
    );
    const cancelled = queued.find((e) => e.eventKey.endsWith(':CANCELLED'))!;
    expect(JSON.parse(cancelled.payload)).toMatchObject({ orderId: o.id, status: 'CANCELLED', previousStatus: 'CONFIRMED', reason: 'rollback', total: 10 });
  });

  it('undoCreateOrder cancels by key, and before the order exists leaves a tombstone a late create respects', async () => {
    const a = await product(10);
    const userId = uid('user-');
    const key = uid('order-');
    const o = await d.orders.createOrder({ key, userId, items: [{ productId: a.id, quantity: 1 }] });
    await d.orders.undoCreateOrder(key, 'stock');
    await d.orders.undoCreateOrder(key, 'stock');
    expect((await d.orders.loadOrder(o.id)).status).toBe('CANCELLED');

    const early = uid('order-');
    await d.orders.undoCreateOrder(early, 'payment declined');
    const late = await d.orders.createOrder({ key: early, userId, items: [{ productId: a.id, quantity: 1 }] });
    expect(late.status).toBe('CANCELLED');
    expect(await d.orders.findOrderByKey(early)).toBeNull();
    expect((await d.orders.listOrders(userId)).map((x) => x.id)).toEqual([o.id]);
  });
});
