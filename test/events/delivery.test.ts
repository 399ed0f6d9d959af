import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../domains/events';
import { signWebhook } from '../../workers/notification-dispatcher';
import { startOwnWorker, type OwnWorker } from '../support/own-worker';
import { waitUntil } from '../support/processes';
import { connectStack, waitForSaga, type TestStack } from '../support/stack';
import { about, eventsOf, headOf } from './event-reader';

/**
 * Subscriptions, delivered by a worker of this file's own: it alone delivers event deliveries
 * (the shared workers deliver order notifications only), quickly retried, and a kill switch may end it.
 */
const WORKER_ENV = {
  NOTIFY_EVENT_KEY_PREFIX: 'event:',
  NOTIFY_INTERVAL_MS: '100',
  NOTIFY_BACKOFF_BASE_MS: '100',
  NOTIFY_BACKOFF_MAX_MS: '400',
  FAULT_SWITCHES_MAY_KILL: 'true',
};

let worker: OwnWorker;
let stack: TestStack;
let subscriber: Server;
let endpoint: string;
/** The subscriber answers 503 while down. */
let up = true;
const calls: Array<{ event: CloudEvent; answered: number; headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  worker = await startOwnWorker('events-delivery', WORKER_ENV);
  stack = await connectStack({ taskQueue: worker.taskQueue, waitMs: 30_000 });
  subscriber = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const answered = up ? 204 : 503;
      calls.push({ event: JSON.parse(body) as CloudEvent, answered, headers: req.headers, body });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(subscriber.address() as { port: number }).port}/events`;
});
afterAll(async () => {
  await stack?.close();
  await worker?.stop();
  subscriber?.close();
});

const ORDER_TYPES = ['order.created', 'order.confirmed', 'order.cancelled', 'stock.reserved', 'stock.committed', 'stock.released', 'payment.authorized', 'payment.captured'];

async function subscribe(types: string[]) {
  const res = await stack.app.inject({ method: 'POST', url: '/subscriptions', payload: { url: endpoint, types } });
  expect(res.statusCode).toBe(201);
  return res.json() as { id: string; secret: string };
}

async function product(price: number, onHand: number) {
  const created = await stack.app.inject({ method: 'POST', url: '/products', payload: { sku: `EVD-${randomUUID().slice(0, 8)}`, name: 'Delivered', price } });
  const id = created.json().id as string;
  await stack.app.inject({ method: 'PUT', url: `/products/${id}/stock`, payload: { onHand } });
  return id;
}

function shopper() {
  const id = `user-${randomUUID()}`;
  return { authorization: `Bearer ${stack.token('user', id, `${id}@test.example`)}` };
}

const accepted = (ids: Set<string>) => calls.filter((c) => c.answered === 204 && ids.has(c.event.id));

describe('event subscriptions', () => {
  it('refuses bad input: unknown types, private or malformed endpoints, non-admins', async () => {
    const bad = await stack.app.inject({ method: 'POST', url: '/subscriptions', payload: { url: endpoint, types: ['order.shipped'] } });
    expect(bad.statusCode).toBe(400);
    const internal = await stack.app.inject({ method: 'POST', url: '/subscriptions', payload: { url: 'http://10.0.0.1/hook', types: ['order.created'] } });
    expect(internal.statusCode).toBe(400);
    expect(internal.json().fields).toMatchObject([{ field: 'url' }]);
    const user = await stack.app.inject({ method: 'POST', url: '/subscriptions', headers: shopper(), payload: { url: endpoint, types: ['order.created'] } });
    expect(user.statusCode).toBe(403);
    expect((await stack.app.inject({ method: 'GET', url: '/events', headers: shopper() })).statusCode).toBe(403);
    expect((await stack.app.inject({ method: 'GET', url: '/events?limit=501' })).statusCode).toBe(400);
    expect((await stack.app.inject({ method: 'GET', url: '/events?type=nope' })).statusCode).toBe(400);
    expect((await stack.app.inject({ method: 'DELETE', url: `/subscriptions/${randomUUID()}` })).statusCode).toBe(404);
  });

  it('a subscriber that is down receives everything once it is back: signed, once each, in order per subject', async () => {
    const subscription = await subscribe(ORDER_TYPES);
    try {
      up = false;
      const after = await headOf(stack);
      const res = await stack.app.inject({ method: 'POST', url: '/orders', headers: shopper(), payload: { items: [{ productId: await product(30, 3), quantity: 1 }] } });
      expect(res.json()).toMatchObject({ status: 'CONFIRMED' });
      const { orderId } = res.json();
      const logged = await eventsOf(stack, after, about(orderId), (e) => e.some((x) => x.type === 'order.confirmed'));
      expect(logged).toHaveLength(6);
      const ids = new Set(logged.map((e) => e.id));
      // Down: each subject's first event is tried (and refused); the ones behind it wait.
      const subjects = [...new Set(logged.map((e) => e.subject))];
      await waitUntil('each subject\'s first event to be refused', () =>
        subjects.every((s) => calls.some((c) => c.event.subject === s && c.answered === 503)),
      );
      up = true;
      await waitUntil('every event to be delivered', () => accepted(ids).length >= ids.size, 60_000);

      const got = accepted(ids);
      expect(got.map((c) => c.event.id).sort()).toEqual([...ids].sort());
      for (const subject of subjects) {
        // Every call about a subject, refused or taken, went out in log order.
        const positions = calls.filter((c) => c.event.subject === subject).map((c) => c.event.position);
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(got.filter((c) => c.event.subject === subject).map((c) => c.event.id)).toEqual(logged.filter((e) => e.subject === subject).map((e) => e.id));
      }
      for (const call of got) {
        expect(call.headers['content-type']).toBe('application/cloudevents+json');
        const timestamp = Number(call.headers['x-webhook-timestamp']);
        expect(call.headers['x-webhook-signature']).toBe(signWebhook(subscription.secret, timestamp, call.body));
        expect(call.event).toEqual(logged.find((e) => e.id === call.event.id));
      }
    } finally {
      up = true;
      await stack.app.inject({ method: 'DELETE', url: `/subscriptions/${subscription.id}` });
    }
  });

  it('a crash between the change and its delivery loses nothing: the worker is killed after committing the stock, a new one delivers it all', async () => {
    const subscription = await subscribe(ORDER_TYPES);
    const requestId = `evcrash-${randomUUID()}`;
    try {
      const after = await headOf(stack);
      await stack.domains.faults.arm('inventory.commitStock.after', { match: requestId, kill: true, times: 1 });
      const quick = await connectStack({ taskQueue: worker.taskQueue, waitMs: 500 });
      const res = await quick.app.inject({
        method: 'POST',
        url: '/orders',
        headers: shopper(),
        payload: { items: [{ productId: await product(40, 3), quantity: 1 }], requestId },
      });
      await quick.close();
      const { sagaId, orderId } = res.json() as { sagaId: string; orderId?: string };
      const killed = worker.process;
      await waitUntil('the worker to be killed at the switch', () => killed.exitCode !== null || killed.signalCode !== null, 60_000);
      const stockCommitted = await stack.db.domainEvent.count({ where: { type: 'stock.committed', subject: { contains: requestId } } });
      expect(stockCommitted).toBe(1); // written with the change, before the process died
      await worker.stop();
      worker = await startOwnWorker('events-delivery', WORKER_ENV);
      const state = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPLETED');
      const id = orderId ?? (state.result as { orderId: string }).orderId;
      const logged = await eventsOf(stack, after, about(id), (e) => e.some((x) => x.type === 'order.confirmed'));
      expect(logged.map((e) => e.type)).toEqual(['order.created', 'stock.reserved', 'payment.authorized', 'payment.captured', 'stock.committed', 'order.confirmed']);
      const ids = new Set(logged.map((e) => e.id));
      await waitUntil('every event to be delivered', () => new Set(accepted(ids).map((c) => c.event.id)).size === ids.size, 60_000);
      // At least once: a delivery cut off by the kill may come twice, always under the same id.
      expect(new Set(accepted(ids).map((c) => c.event.id))).toEqual(ids);
    } finally {
      await stack.domains.faults.disarm('inventory.commitStock.after', requestId);
      await stack.app.inject({ method: 'DELETE', url: `/subscriptions/${subscription.id}` });
    }
  });
});
