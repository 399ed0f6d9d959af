import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from './support/processes';
import { connectStack, type TestStack } from './support/stack';

let stack: TestStack;
let subscriber: Server;
let subscriberUrl: string;
/** The subscriber answers 503 to everything until the test brings it back. */
let up = false;
/** Every call the subscriber got, in order: the event, the dispatcher's attempt number, and the answer given. */
const calls: Array<{ eventKey: string; attempt: number; answered: number; payload: Record<string, unknown> }> = [];

beforeAll(async () => {
  stack = await connectStack({ waitMs: 30_000 });
  subscriber = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const message = JSON.parse(body) as { eventKey: string; attempt: number; payload: Record<string, unknown> };
      const answered = up ? 204 : 503;
      calls.push({ eventKey: message.eventKey, attempt: message.attempt, answered, payload: message.payload });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => subscriber.listen(0, '127.0.0.1', resolve));
  subscriberUrl = `http://127.0.0.1:${(subscriber.address() as { port: number }).port}/hooks/orders`;
});
afterAll(async () => {
  await stack?.close();
  subscriber?.close();
});

const callsFor = (eventKey: string) => calls.filter((c) => c.eventKey === eventKey);

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

    // The subscriber is down for as long as the test says: the saga must answer all the same.
    const res = await stack.app.inject({ method: 'POST', url: '/orders', headers, payload: { items: [{ productId: product.id, quantity: 1 }] } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ status: 'CONFIRMED' });
    const { orderId } = res.json();
    const expected = [`order:${orderId}:PENDING`, `order:${orderId}:CONFIRMED`];
    expect(calls.filter((c) => c.answered === 204)).toEqual([]);

    // Each event is tried and refused while the subscriber is down; then it comes back.
    await waitUntil('each order event to be refused once', () => expected.every((key) => callsFor(key).some((c) => c.answered === 503)), 60_000);
    up = true;
    // Delivered: the outbox records it (after the subscriber's answer).
    const outbox = () => stack.db.notificationOutbox.findMany({ where: { eventKey: { in: expected } } });
    await waitUntil('each order event to be recorded as delivered', async () => (await outbox()).filter((r) => r.deliveredAt !== null).length === expected.length, 60_000);

    for (const row of await outbox()) {
      const tries = callsFor(row.eventKey);
      const delivered = tries.filter((c) => c.answered === 204);
      expect(delivered.length, `${row.eventKey}: ${JSON.stringify(tries)}`).toBeGreaterThanOrEqual(1);
      // Retried after its refusals: the accepted call is a later attempt than the refused ones.
      expect(delivered[0]!.attempt, `${row.eventKey}: ${JSON.stringify(tries)}`).toBeGreaterThan(Math.max(...tries.filter((c) => c.answered === 503).map((c) => c.attempt)));
      expect(row.attempts).toBe(delivered.at(-1)!.attempt);
    }
    expect(callsFor(`order:${orderId}:CONFIRMED`).find((c) => c.answered === 204)!.payload).toMatchObject({ orderId, status: 'CONFIRMED' });
  });
});
