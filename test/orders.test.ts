import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useStack } from './support/stack';

const stack = useStack({ waitMs: 30_000 });

/** A shopper: a user id and the header that authenticates as them. */
function shopper() {
  const id = `user-${randomUUID()}`;
  return { id, headers: { authorization: `Bearer ${stack.token('user', id, `${id}@test.example`)}` } };
}

async function product(price: number, onHand: number) {
  const res = await stack.app.inject({
    method: 'POST',
    url: '/products',
    payload: { sku: `SKU-${randomUUID().slice(0, 8)}`, name: 'Test product', price },
  });
  expect(res.statusCode).toBe(201);
  const { id } = res.json();
  const stock = await stack.app.inject({ method: 'PUT', url: `/products/${id}/stock`, payload: { onHand } });
  expect(stock.statusCode).toBe(200);
  return id as string;
}

async function stockOf(productId: string) {
  return (await stack.app.inject({ method: 'GET', url: `/products/${productId}/stock` })).json() as { available: number; reserved: number; sold: number };
}

function order(headers: Record<string, string>, items: Array<{ productId: string; quantity: number }>, requestId?: string) {
  return stack.app.inject({ method: 'POST', url: '/orders', headers, payload: { items, ...(requestId && { requestId }) } });
}

describe('order saga', () => {
  it('confirms an order priced from the catalog, sells the stock and captures the payment', async () => {
    const user = shopper();
    const a = await product(120, 10);
    const b = await product(45, 5);
    const res = await order(user.headers, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ]);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: 'CONFIRMED', total: 2 * 120 + 3 * 45 });
    expect(await stockOf(a)).toEqual(expect.objectContaining({ available: 8, reserved: 0, sold: 2 }));
    expect(await stockOf(b)).toEqual(expect.objectContaining({ available: 2, reserved: 0, sold: 3 }));
    const payments = await stack.db.payment.findMany({ where: { reference: body.orderId } });
    expect(payments).toMatchObject([{ status: 'CAPTURED', amount: 375 }]);

    const mine = (await stack.app.inject({ method: 'GET', url: '/orders', headers: user.headers })).json();
    expect(mine.orders.map((o: { id: string }) => o.id)).toEqual([body.orderId]);
    const one = await stack.app.inject({ method: 'GET', url: `/orders/${body.orderId}`, headers: user.headers });
    expect(one.json()).toMatchObject({ id: body.orderId, status: 'CONFIRMED', total: 375 });
  });

  it("answers another user's order with 404", async () => {
    const owner = shopper();
    const res = await order(owner.headers, [{ productId: await product(10, 1), quantity: 1 }]);
    const other = shopper();
    const peek = await stack.app.inject({ method: 'GET', url: `/orders/${res.json().orderId}`, headers: other.headers });
    expect(peek.statusCode).toBe(404);
    expect((await stack.app.inject({ method: 'GET', url: '/orders', headers: other.headers })).json().orders).toEqual([]);
  });

  it('cancels with OUT_OF_STOCK when any line lacks stock, and no stock moves', async () => {
    const user = shopper();
    const plenty = await product(10, 100);
    const scarce = await product(10, 1);
    const res = await order(user.headers, [
      { productId: plenty, quantity: 5 },
      { productId: scarce, quantity: 2 },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK' });
    expect(await stockOf(plenty)).toEqual(expect.objectContaining({ available: 100, reserved: 0, sold: 0 }));
    expect(await stockOf(scarce)).toEqual(expect.objectContaining({ available: 1, reserved: 0, sold: 0 }));
    const stored = await stack.app.inject({ method: 'GET', url: `/orders/${res.json().orderId}`, headers: user.headers });
    expect(stored.json()).toMatchObject({ status: 'CANCELLED', cancelReason: 'OUT_OF_STOCK' });
    expect(await stack.db.payment.count({ where: { reference: res.json().orderId, status: { in: ['AUTHORIZED', 'CAPTURED'] } } })).toBe(0);
  });

  it('cancels with PAYMENT_DECLINED over 10000, releasing every reserved item', async () => {
    const user = shopper();
    const a = await product(6000, 5);
    const b = await product(5000, 5);
    const res = await order(user.headers, [
      { productId: a, quantity: 1 },
      { productId: b, quantity: 1 },
    ]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
    for (const id of [a, b]) expect(await stockOf(id)).toEqual(expect.objectContaining({ available: 5, reserved: 0, sold: 0 }));
    const stored = await stack.app.inject({ method: 'GET', url: `/orders/${res.json().orderId}`, headers: user.headers });
    expect(stored.json()).toMatchObject({ status: 'CANCELLED', cancelReason: 'PAYMENT_DECLINED' });
    expect(await stack.db.payment.findMany({ where: { reference: res.json().orderId } })).toMatchObject([{ status: 'DECLINED' }]);

    // The three compensations run in parallel: all scheduled before any of them completed.
    const history = await stack.temporal.workflow.getHandle(res.json().sagaId).fetchHistory();
    const events = history.events ?? [];
    const compensations = ['voidPayment', 'releaseStock', 'undoCreateOrder'];
    const scheduled = events.filter((e) => compensations.includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''));
    expect(scheduled).toHaveLength(3);
    const lastScheduled = Math.max(...scheduled.map((e) => Number(e.eventId)));
    const scheduledIds = new Set(scheduled.map((e) => String(e.eventId)));
    const firstCompleted = events.find((e) => scheduledIds.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '')));
    expect(Number(firstCompleted?.eventId)).toBeGreaterThan(lastScheduled);
  });

  it('sells exactly the stock to concurrent orders for the last items; the rest are OUT_OF_STOCK', async () => {
    const last = await product(10, 5);
    const results = await Promise.all(Array.from({ length: 12 }, () => order(shopper().headers, [{ productId: last, quantity: 1 }])));
    const confirmed = results.filter((r) => r.statusCode === 201);
    const cancelled = results.filter((r) => r.statusCode === 409);
    expect(confirmed).toHaveLength(5);
    expect(cancelled).toHaveLength(7);
    for (const r of cancelled) expect(r.json()).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK' });
    expect(await stockOf(last)).toEqual(expect.objectContaining({ available: 0, reserved: 0, sold: 5 }));
  });

  it('starts one saga for a repeated requestId', async () => {
    const user = shopper();
    const item = await product(10, 10);
    const first = await order(user.headers, [{ productId: item, quantity: 1 }], 'basket-1');
    const again = await order(user.headers, [{ productId: item, quantity: 1 }], 'basket-1');
    expect(again.json()).toEqual(first.json());
    expect(await stockOf(item)).toEqual(expect.objectContaining({ sold: 1 }));
    // Another user's same requestId is another order.
    const someoneElse = await order(shopper().headers, [{ productId: item, quantity: 1 }], 'basket-1');
    expect(someoneElse.json().orderId).not.toBe(first.json().orderId);
  });

  it('rejects unknown products without leaving an order or moving stock', async () => {
    const res = await order(shopper().headers, [{ productId: 'no-such-product', quantity: 1 }]);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'UNKNOWN_PRODUCT' });
  });
});
