import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStack, type TestStack } from './support/stack';

let stack: TestStack;
let subscriber: Server;
let subscriberUrl: string;
let failuresLeft = 0;
const received: Array<{ eventKey: string; payload: Record<string, unknown> }> = [];
let calls = 0;

beforeAll(async () => {
  stack = await connectStack({ waitMs: 30_000 });
  // A subscriber that is down (503) for its first calls, then takes everything.
  subscriber = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      calls++;
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(503).end();
        return;
      }
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve));
  subscriberUrl = `http://127.0.0.1:${(subscriber.address() as { port: number }).port}/hooks/orders`;
});
afterAll(async () => {
  await stack?.close();
  subscriber?.close();
});

describe('order notifications', () => {
  it('are delivered at least once after the subscriber comes back, without holding up the saga', async () => {
    const email = `shopper-${randomUUID()}@test.example`;
    const json = { 'content-type': 'application/json' };
    const register = await stack.app.inject({ method: 'POST', url: '/users/register', headers: { ...json, authorization: '' }, payload: { email, password: 'correct horse battery' } });
    expect(register.statusCode).toBe(201);
    const login = await stack.app.inject({ method: 'POST', url: '/users/login', headers: { authorization: '' }, payload: { email, password: 'correct horse battery' } });
    expect(login.statusCode).toBe(200);
    const headers = { authorization: `Bearer ${login.json().token}` };
    expect((await stack.app.inject({ method: 'PUT', url: '/users/me/webhook', headers, payload: { url: subscriberUrl } })).statusCode).toBe(200);

    const product = (await stack.app.inject({ method: 'POST', url: '/products', payload: { sku: `N-${randomUUID().slice(0, 8)}`, name: 'Notified', price: 20 } })).json();
    await stack.app.inject({ method: 'PUT', url: `/products/${product.id}/stock`, payload: { onHand: 3 } });

    failuresLeft = 3;
    const res = await stack.app.inject({ method: 'POST', url: '/orders', headers, payload: { items: [{ productId: product.id, quantity: 1 }] } });
    expect(res.statusCode).toBe(201);
    const { orderId } = res.json();
    expect(failuresLeft).toBeGreaterThan(0); // the saga answered while the subscriber was still failing

    const confirmedKey = `order:${orderId}:CONFIRMED`;
    const expected = [`order:${orderId}:PENDING`, confirmedKey];
    const arrived = () => expected.every((key) => received.some((m) => m.eventKey === key));
    for (let i = 0; i < 600 && !arrived(); i++) await new Promise((r) => setTimeout(r, 100));
    const mine = received.filter((m) => m.eventKey.startsWith(`order:${orderId}:`));
    expect(mine.map((m) => m.eventKey)).toEqual(expect.arrayContaining(expected));
    expect(mine.find((m) => m.eventKey === confirmedKey)!.payload).toMatchObject({ orderId, status: 'CONFIRMED' });
    expect(calls).toBeGreaterThan(received.length); // the failed attempts were retried
    const row = await stack.db.notificationOutbox.findUniqueOrThrow({ where: { eventKey: confirmedKey } });
    expect(row.deliveredAt).not.toBeNull();
  });
});
