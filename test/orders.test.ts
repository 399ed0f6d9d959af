import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../client';
import { useStack } from './support/stack';

const stack = useStack({ waitMs: 30_000 });

/** A shopper: a user id and the typed client that acts as them. */
function shopper() {
  const id = `user-${randomUUID()}`;
  return { id, api: stack.api(stack.token('user', id, `${id}@test.example`)) };
}

async function product(price: number, onHand: number) {
  const admin = stack.api();
  const created = await admin.POST('/products', { body: { sku: `SKU-${randomUUID().slice(0, 8)}`, name: 'Test product', price } });
  expect(created.response.status).toBe(201);
  const id = created.data!.id;
  const stock = await admin.PUT('/products/{id}/stock', { params: { path: { id } }, body: { onHand } });
  expect(stock.response.status).toBe(200);
  return id;
}

async function stockOf(productId: string) {
  return (await stack.api().GET('/products/{id}/stock', { params: { path: { id: productId } } })).data!;
}

/** Places an order; `body` is the answer whatever its status (201 result, 202, or 409 with the reason). */
async function order(api: ApiClient, items: Array<{ productId: string; quantity: number }>, requestId?: string) {
  const { data, error, response } = await api.POST('/orders', { body: { items, ...(requestId && { requestId }) } });
  return { status: response.status, body: (data ?? error) as { sagaId?: string; orderId?: string; status?: string; reason?: string; total?: number } };
}

async function storedOrder(api: ApiClient, id: string) {
  return api.GET('/orders/{id}', { params: { path: { id } } });
}

describe('order saga', () => {
  it('confirms an order priced from the catalog, sells the stock and captures the payment', async () => {
    const user = shopper();
    const a = await product(120, 10);
    const b = await product(45, 5);
    const res = await order(user.api, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 3 },
    ]);
    expect(res.status).toBe(201);
    const body = res.body;
    expect(body).toMatchObject({ status: 'CONFIRMED', total: 2 * 120 + 3 * 45 });
    expect(await stockOf(a)).toEqual(expect.objectContaining({ available: 8, reserved: 0, sold: 2 }));
    expect(await stockOf(b)).toEqual(expect.objectContaining({ available: 2, reserved: 0, sold: 3 }));
    const payments = await stack.db.payment.findMany({ where: { reference: body.orderId! } });
    expect(payments).toMatchObject([{ status: 'CAPTURED', amount: 375 }]);

    const mine = (await user.api.GET('/orders')).data!;
    expect(mine.orders.map((o) => o.id)).toEqual([body.orderId]);
    const one = await storedOrder(user.api, body.orderId!);
    expect(one.data).toMatchObject({ id: body.orderId, status: 'CONFIRMED', total: 375 });
  });

  it("answers another user's order with 404", async () => {
    const owner = shopper();
    const res = await order(owner.api, [{ productId: await product(10, 1), quantity: 1 }]);
    const other = shopper();
    const peek = await storedOrder(other.api, res.body.orderId!);
    expect(peek.response.status).toBe(404);
    expect((await other.api.GET('/orders')).data!.orders).toEqual([]);
  });

  it('cancels with OUT_OF_STOCK when any line lacks stock, and no stock moves', async () => {
    const user = shopper();
    const plenty = await product(10, 100);
    const scarce = await product(10, 1);
    const res = await order(user.api, [
      { productId: plenty, quantity: 5 },
      { productId: scarce, quantity: 2 },
    ]);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK' });
    expect(await stockOf(plenty)).toEqual(expect.objectContaining({ available: 100, reserved: 0, sold: 0 }));
    expect(await stockOf(scarce)).toEqual(expect.objectContaining({ available: 1, reserved: 0, sold: 0 }));
    const stored = await storedOrder(user.api, res.body.orderId!);
    expect(stored.data).toMatchObject({ status: 'CANCELLED', cancelReason: 'OUT_OF_STOCK' });
    expect(await stack.db.payment.count({ where: { reference: res.body.orderId!, status: { in: ['AUTHORIZED', 'CAPTURED'] } } })).toBe(0);
  });

  it('cancels with PAYMENT_DECLINED over 10000, releasing every reserved item', async () => {
    const user = shopper();
    const a = await product(6000, 5);
    const b = await product(5000, 5);
    const res = await order(user.api, [
      { productId: a, quantity: 1 },
      { productId: b, quantity: 1 },
    ]);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
    for (const id of [a, b]) expect(await stockOf(id)).toEqual(expect.objectContaining({ available: 5, reserved: 0, sold: 0 }));
    const stored = await storedOrder(user.api, res.body.orderId!);
    expect(stored.data).toMatchObject({ status: 'CANCELLED', cancelReason: 'PAYMENT_DECLINED' });
    expect(await stack.db.payment.findMany({ where: { reference: res.body.orderId! } })).toMatchObject([{ status: 'DECLINED' }]);

    // The three compensations run in parallel: all scheduled before any of them completed.
    const history = await stack.temporal.workflow.getHandle(res.body.sagaId!).fetchHistory();
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
    const results = await Promise.all(Array.from({ length: 12 }, () => order(shopper().api, [{ productId: last, quantity: 1 }])));
    const confirmed = results.filter((r) => r.status === 201);
    const cancelled = results.filter((r) => r.status === 409);
    expect(confirmed).toHaveLength(5);
    expect(cancelled).toHaveLength(7);
    for (const r of cancelled) expect(r.body).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK' });
    expect(await stockOf(last)).toEqual(expect.objectContaining({ available: 0, reserved: 0, sold: 5 }));
  });

  it('starts one saga for a repeated requestId', async () => {
    const user = shopper();
    const item = await product(10, 10);
    const first = await order(user.api, [{ productId: item, quantity: 1 }], 'basket-1');
    const again = await order(user.api, [{ productId: item, quantity: 1 }], 'basket-1');
    expect(again.body).toEqual(first.body);
    expect(await stockOf(item)).toEqual(expect.objectContaining({ sold: 1 }));
    // Another user's same requestId is another order.
    const someoneElse = await order(shopper().api, [{ productId: item, quantity: 1 }], 'basket-1');
    expect(someoneElse.body.orderId).not.toBe(first.body.orderId);
  });

  it('rejects unknown products without leaving an order or moving stock', async () => {
    const res = await order(shopper().api, [{ productId: 'no-such-product', quantity: 1 }]);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ reason: 'UNKNOWN_PRODUCT' });
  });
});
