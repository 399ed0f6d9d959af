import { ORDER_STATUSES, bySaga, sagaOfKey, undid, type Checks } from './context';

/**
 * Orders: at most one order, one stock reservation and one movement per product per saga,
 * under its step keys. A completed saga confirmed the order it answered, sold every line once
 * and has one captured payment of the total; a rolled-back one cancelled its order and gave
 * its stock back (every movement RELEASED, the stock reservation RELEASED or REJECTED, none
 * left PENDING or RESERVED). The outbox holds one event per status
 * the order went through (created, then confirmed and/or cancelled), with the order's total.
 */
export function checkOrders(c: Checks): void {
  const { orders, stockReservations, movements, payments } = c.records;
  const byOrder = bySaga(orders, (o) => o.key);
  const headers = bySaga(stockReservations, (h) => h.key);
  const moved = bySaga(movements, (m) => m.key);
  for (const id of c.ofType('order')) {
    const state = c.state(id);
    if (!state) continue;
    const mine = byOrder.get(id) ?? [];
    const myHeaders = headers.get(id) ?? [];
    const myMovements = moved.get(id) ?? [];
    if (mine.length > 1) c.v(`order saga ${id} made ${mine.length} orders: ${mine.map((o) => o.key).join(', ')}`);
    if (myHeaders.length > 1) c.v(`order saga ${id} made ${myHeaders.length} stock reservations: ${myHeaders.map((h) => h.key).join(', ')}`);
    const [order] = mine;
    const lines = order?.lines ?? [];
    const perProduct = new Map<string, number>();
    for (const m of myMovements) {
      perProduct.set(m.productId, (perProduct.get(m.productId) ?? 0) + 1);
      const line = lines.find((l) => l.productId === m.productId);
      if (line?.quantity !== m.quantity) c.v(`order ${id} moved ${m.quantity} of ${m.productId} (${m.key}), its lines say ${line?.quantity ?? 'none'}`);
    }
    for (const [productId, n] of perProduct) if (n > 1) c.v(`order ${id} moved ${productId} ${n} times`);
    if (state.status === 'COMPLETED') {
      const result = state.result as { orderId?: string; total?: number } | undefined;
      if (!order || order.status !== 'CONFIRMED' || order.id !== result?.orderId || order.total !== result.total) {
        c.v(`completed order saga ${id} answered ${result?.orderId} (${result?.total}), left ${order?.id} ${order?.status} (${order?.total})`);
      }
      if (myMovements.length !== lines.length || myMovements.some((m) => m.status !== 'COMMITTED') || myHeaders[0]?.status !== 'COMMITTED') {
        c.v(`confirmed order ${id} (stock ${myHeaders[0]?.status}): movements ${JSON.stringify(myMovements.map((m) => [m.productId, m.quantity, m.status]))} for ${lines.length} lines`);
      }
      const paid = payments.filter((p) => p.reference === order?.id);
      if (paid.length !== 1 || paid[0]!.status !== 'CAPTURED' || paid[0]!.amount !== order?.total) {
        c.v(`confirmed order ${id} (total ${order?.total}) has payments ${JSON.stringify(paid.map((p) => [p.status, p.amount]))}`);
      }
    } else {
      if (order && undid(state, 'createOrder') && order.status !== 'CANCELLED') c.v(`${state.status} order saga ${id} left the order ${order.status}`);
      if (undid(state, 'reserveStock')) {
        for (const m of myMovements) if (m.status !== 'RELEASED') c.v(`${state.status} order ${id} left ${m.quantity} of ${m.productId} ${m.status}`);
        for (const h of myHeaders) if (h.status !== 'RELEASED' && h.status !== 'REJECTED') c.v(`${state.status} order ${id} left its stock reservation ${h.status}`);
      }
    }
  }

  for (const o of orders) if (!c.isStepKey(o.key, 'order', 'createOrder')) c.v(`order ${o.id} was made under ${o.key}, no order saga's step`);
  checkOutbox(c);
}

function checkOutbox(c: Checks): void {
  const { orders, outbox } = c.records;
  const known = new Set(orders.map((o) => o.id));
  for (const e of outbox.filter((row) => row.eventKey.startsWith('order:'))) {
    if (!known.has(e.eventKey.split(':')[1]!)) c.v(`the outbox has ${e.eventKey}, an event of no order`);
  }
  for (const order of orders) {
    const events = new Map(outbox.filter((e) => e.eventKey.startsWith(`order:${order.id}:`)).map((e) => [e.eventKey.split(':')[2]!, e]));
    const tombstone = order.userId === '';
    const cancelled = events.get('CANCELLED');
    const cancelledFrom = cancelled ? (JSON.parse(cancelled.payload) as { previousStatus?: string }).previousStatus : undefined;
    const expected = new Set<string>(
      tombstone ? [] : ['PENDING', ...(order.status === 'CONFIRMED' || cancelledFrom === 'CONFIRMED' ? ['CONFIRMED'] : []), ...(order.status === 'CANCELLED' ? ['CANCELLED'] : [])],
    );
    const have = [...events.keys()];
    if (have.length !== expected.size || have.some((s) => !expected.has(s))) {
      c.v(`order ${order.key} (${order.status}) has events ${JSON.stringify(have.sort())}, its status changes make ${JSON.stringify([...expected].sort())}`);
    }
    for (const [status, e] of events) {
      const payload = JSON.parse(e.payload) as { orderId?: string; status?: string; total?: number };
      if (!ORDER_STATUSES.includes(status as never) || payload.orderId !== order.id || payload.status !== status || payload.total !== order.total || e.userId !== order.userId) {
        c.v(`order ${order.key}: event ${e.eventKey} says ${e.payload} for user ${e.userId}, the order is ${order.total} for ${order.userId}`);
      }
    }
  }
}

/**
 * Stock, per product: none negative; available + reserved + sold = what was put in; reserved
 * and sold are exactly what the movements say; every movement was made under an order saga's
 * step key; and once every saga has ended, nothing is left reserved (but what an operator
 * chose to leave, skipping a compensation).
 */
export function checkStock(c: Checks): void {
  const { stock, movements } = c.records;
  for (const m of movements) if (!c.isStepKey(m.key, 'order', 'reserveStock')) c.v(`stock movement of ${m.quantity} ${m.productId} was made under ${m.key}, no order saga's step`);
  for (const [productId, putIn] of c.input.scope.stockPutIn) {
    const row = stock.find((s) => s.productId === productId);
    const mine = movements.filter((m) => m.productId === productId);
    const sum = (status: string) => mine.filter((m) => m.status === status).reduce((n, m) => n + m.quantity, 0);
    const { available = 0, reserved = 0, sold = 0 } = row ?? {};
    if (available < 0 || reserved < 0 || sold < 0) c.v(`product ${productId} has negative stock: ${JSON.stringify(row)}`);
    if (available + reserved + sold !== putIn) c.v(`product ${productId}: ${available} + ${reserved} + ${sold} ≠ ${putIn} put in`);
    if (reserved !== sum('TAKEN')) c.v(`product ${productId}: ${reserved} reserved but order lines hold ${sum('TAKEN')}`);
    if (sold !== sum('COMMITTED')) c.v(`product ${productId}: ${sold} sold but orders sold ${sum('COMMITTED')}`);
    const kept = mine.filter((m) => m.status === 'TAKEN' && c.skipped(sagaOfKey(m.key), 'reserveStock')).reduce((n, m) => n + m.quantity, 0);
    if (c.allEnded && reserved !== kept) c.v(`product ${productId}: ${reserved - kept} still reserved after every saga ended`);
  }
}
