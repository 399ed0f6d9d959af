import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../domains/events';
import { useStack, waitForSaga } from '../support/stack';
import { headOf } from './event-reader';

const stack = useStack({ waitMs: 30_000 });

describe('reading events by cursor', () => {
  it('while sagas run side by side, a reader paging from its cursor misses nothing and repeats nothing', async () => {
    const productId = (await stack.app.inject({ method: 'POST', url: '/products', payload: { sku: `EVC-${randomUUID().slice(0, 8)}`, name: 'Cursor', price: 10 } })).json().id as string;
    await stack.app.inject({ method: 'PUT', url: `/products/${productId}/stock`, payload: { onHand: 1000 } });
    const start = await headOf(stack);
    const user = `user-${randomUUID()}`;
    const headers = { authorization: `Bearer ${stack.token('user', user, `${user}@test.example`)}` };

    // The reader pages with a small limit all the while the orders run, and after.
    const read: CloudEvent[] = [];
    let cursor = start;
    let ordersDone = false;
    const confirmed = new Set<string>();
    const orderIds: string[] = [];
    const reader = (async () => {
      for (;;) {
        const res = await stack.app.inject({ method: 'GET', url: `/events?after=${cursor}&limit=7` });
        expect(res.statusCode).toBe(200);
        const page = res.json() as { events: CloudEvent[]; next: number };
        // Positions come without gaps: every event at or below the last one read has been read.
        expect(page.events.map((e) => e.position)).toEqual(page.events.map((_, i) => cursor + i + 1));
        read.push(...page.events);
        for (const e of page.events) if (e.type === 'order.confirmed') confirmed.add(String(e.data.orderId));
        cursor = page.next;
        if (ordersDone && page.events.length === 0 && orderIds.every((id) => confirmed.has(id))) return;
        if (page.events.length === 0) await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => stack.app.inject({ method: 'POST', url: '/orders', headers, payload: { items: [{ productId, quantity: 1 }] } })),
    );
    for (const res of results) {
      // Answered CONFIRMED, or still RUNNING when the machine is slow: then wait for it.
      const { sagaId } = res.json() as { sagaId: string };
      const state = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPLETED');
      orderIds.push((state.result as { orderId: string }).orderId);
    }
    ordersDone = true;
    await reader;

    expect(new Set(read.map((e) => e.id)).size).toBe(read.length);
    // Everything numbered in that range was read, and nothing else.
    const stored = await stack.db.domainEvent.findMany({ where: { position: { gt: start, lte: cursor } }, orderBy: { position: 'asc' } });
    expect(read.map((e) => e.id)).toEqual(stored.map((e) => e.id));
    for (const id of orderIds) {
      const mine = read.filter((e) => e.data.orderId === id || e.data.reference === id).map((e) => e.type);
      expect(mine).toEqual(['order.created', 'stock.reserved', 'payment.authorized', 'payment.captured', 'stock.committed', 'order.confirmed']);
    }
  });

  it('filters by type and subject, and a filtered cursor reads on from the last event it returned', async () => {
    const start = await headOf(stack);
    const productId = (await stack.app.inject({ method: 'POST', url: '/products', payload: { sku: `EVF-${randomUUID().slice(0, 8)}`, name: 'Filtered', price: 10 } })).json().id as string;
    await stack.app.inject({ method: 'PUT', url: `/products/${productId}/stock`, payload: { onHand: 10 } });
    const user = `user-${randomUUID()}`;
    const headers = { authorization: `Bearer ${stack.token('user', user, `${user}@test.example`)}` };
    const { orderId } = (await stack.app.inject({ method: 'POST', url: '/orders', headers, payload: { items: [{ productId, quantity: 1 }] } })).json();
    const subject = `order/${orderId}`;
    let page: { events: CloudEvent[]; next: number } = { events: [], next: start };
    for (const deadline = Date.now() + 30_000; page.events.length < 2 && Date.now() < deadline; ) {
      page = (await stack.app.inject({ method: 'GET', url: `/events?after=${start}&subject=${encodeURIComponent(subject)}` })).json();
      if (page.events.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(page.events.map((e) => e.type)).toEqual(['order.created', 'order.confirmed']);
    const confirmedOnly = (await stack.app.inject({ method: 'GET', url: `/events?after=${start}&subject=${encodeURIComponent(subject)}&type=order.confirmed` })).json();
    expect(confirmedOnly.events.map((e: CloudEvent) => e.id)).toEqual([page.events[1]!.id]);
    const onwards = (await stack.app.inject({ method: 'GET', url: `/events?after=${page.next}&subject=${encodeURIComponent(subject)}` })).json();
    expect(onwards).toEqual({ events: [], next: page.next });
  });
});
