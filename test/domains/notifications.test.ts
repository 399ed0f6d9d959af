import { TEST_OUTBOUND } from '../support/stack';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { createFaultSwitches } from '../../domains/faults/fault-switch';
import { createNotificationService, type NotificationMessage, type SendNotification } from '../../domains/notifications';
import { createUserService } from '../../domains/users';
import { connectDb, uid } from './helpers';

/** A real webhook subscriber that answers 503 to its first `failFirst` calls. */
async function subscriber(failFirst: number) {
  const received: NotificationMessage[] = [];
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls++;
      if (calls <= failFirst) {
        res.writeHead(503).end('down');
        return;
      }
      received.push(JSON.parse(body) as NotificationMessage);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The send port as the lead would implement it: POST JSON, throw unless 2xx. */
const send: SendNotification = async (url, message) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
};

describe('notifications outbox', () => {
  let db: Db;
  let users: ReturnType<typeof createUserService>;
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    db = await connectDb();
    users = createUserService({ db, webhookPolicy: TEST_OUTBOUND });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await db.$disconnect();
  });

  async function userWithWebhook(url: string) {
    const u = await users.registerUser({ email: `${uid('n-')}@example.com`, password: 'long-enough' });
    await users.setWebhook(u.id, url);
    return u.id;
  }

  // Other files queue events in the same database: this file's dispatchers only touch its own rows.
  const prefix = uid('notif-test-');
  const newKey = () => `${prefix}:${uid()}`;
  const build = (globalWebhookUrl?: string) =>
    createNotificationService(
      { db, faults: createFaultSwitches(db, true), subscribers: users },
      { globalWebhookUrl, backoffBaseMs: 1_000, backoffMaxMs: 8_000, leaseMs: 30_000, batchSize: 500, eventKeyPrefix: prefix },
    );

  it('enqueues an event once per eventKey', async () => {
    const n = build();
    const eventKey = newKey();
    expect(await n.enqueue({ eventKey, type: 't', payload: { a: 1 } })).toBe(true);
    expect(await n.enqueue({ eventKey, type: 't', payload: { a: 2 } })).toBe(false);
    await db.$transaction([n.stage({ eventKey, type: 't', payload: { a: 3 } })]);
    expect(await db.notificationOutbox.count({ where: { eventKey } })).toBe(1);
    expect((await n.getEntry(eventKey))?.payload).toEqual({ a: 1 });
  });

  it('a subscriber down then back: retried with exponential backoff, delivered exactly once after success', async () => {
    const hook = await subscriber(3);
    servers.push(hook);
    const userId = await userWithWebhook(hook.url);
    const n = build();
    const eventKey = newKey();
    await n.enqueue({ eventKey, type: 'order.confirmed', userId, payload: { orderId: 'o-1' } });
    const created = new Date((await db.notificationOutbox.findUniqueOrThrow({ where: { eventKey } })).nextAttemptAt);
    const at = (ms: number) => new Date(created.getTime() + ms);

    // Attempt 1 fails → next in 1 s; attempt 2 → 2 s later; attempt 3 → 4 s later.
    const schedule: number[] = [];
    let t = 0;
    for (let attempt = 1; attempt <= 3; attempt++) {
      await n.deliverDue({ now: at(t), send });
      const row = (await n.getEntry(eventKey))!;
      expect(row).toMatchObject({ attempts: attempt, deliveredAt: null });
      expect(row.lastError).toContain('HTTP 503');
      const next = new Date(row.nextAttemptAt).getTime() - at(t).getTime();
      schedule.push(next);
      // Not due before its time.
      await n.deliverDue({ now: new Date(at(t).getTime() + next - 1), send });
      expect((await n.getEntry(eventKey))!.attempts).toBe(attempt);
      t += next;
    }
    expect(schedule).toEqual([1_000, 2_000, 4_000]);

    await n.deliverDue({ now: at(t), send });
    const delivered = (await n.getEntry(eventKey))!;
    expect(delivered).toMatchObject({ attempts: 4, lastError: null, deliveredTo: [hook.url] });
    expect(delivered.deliveredAt).not.toBeNull();
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]).toMatchObject({ eventKey, type: 'order.confirmed', userId, payload: { orderId: 'o-1' }, attempt: 4 });

    // Later passes never send it again.
    await n.deliverDue({ now: at(t + 3_600_000), send });
    expect(hook.received).toHaveLength(1);
    expect(hook.calls()).toBe(4);
  });

  it('the backoff is capped', () => {
    const n = build();
    expect([1, 2, 3, 4, 5, 6, 10].map((a) => n.backoffMs(a))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
  });

  it('sends to the user webhook and the global one; a retry only goes to the one that missed it', async () => {
    const user = await subscriber(0);
    const global = await subscriber(1);
    servers.push(user, global);
    const userId = await userWithWebhook(user.url);
    const n = build(global.url);
    const eventKey = newKey();
    await n.enqueue({ eventKey, type: 'reservation.completed', userId, payload: {} });
    const due = (await db.notificationOutbox.findUniqueOrThrow({ where: { eventKey } })).nextAttemptAt;
    await n.deliverDue({ now: due, send });
    expect((await n.getEntry(eventKey))!).toMatchObject({ deliveredAt: null, deliveredTo: [user.url] });
    await n.deliverDue({ now: new Date(due.getTime() + 1_000), send });
    expect((await n.getEntry(eventKey))!.deliveredAt).not.toBeNull();
    expect(user.received.filter((m) => m.eventKey === eventKey)).toHaveLength(1);
    expect(global.received.filter((m) => m.eventKey === eventKey)).toHaveLength(1);
  });

  it('two dispatchers at once never both claim a row', async () => {
    const hook = await subscriber(0);
    servers.push(hook);
    const userId = await userWithWebhook(hook.url);
    const [a, b] = [build(), build()];
    const keys = Array.from({ length: 8 }, () => newKey());
    for (const eventKey of keys) await a.enqueue({ eventKey, type: 't', userId, payload: {} });
    const now = new Date(Date.now() + 1_000);
    await Promise.all([a.deliverDue({ now, send }), b.deliverDue({ now, send }), a.deliverDue({ now, send })]);
    for (const eventKey of keys) {
      expect(hook.received.filter((m) => m.eventKey === eventKey)).toHaveLength(1);
      expect((await a.getEntry(eventKey))!).toMatchObject({ attempts: 1 });
    }
  });

  it('never throws: a send that throws synchronously is a failed attempt; a row without subscribers is done', async () => {
    const n = build();
    const userId = await userWithWebhook('http://127.0.0.1:9/nothing');
    const eventKey = newKey();
    await n.enqueue({ eventKey, type: 't', userId, payload: {} });
    const now = new Date(Date.now() + 1_000);
    const report = await n.deliverDue({
      now,
      send: (() => {
        throw new Error('boom');
      }) as SendNotification,
    });
    expect(report.error).toBeUndefined();
    expect((await n.getEntry(eventKey))!.lastError).toContain('boom');

    const lonely = newKey();
    await n.enqueue({ eventKey: lonely, type: 't', payload: {} });
    await n.deliverDue({ now, send });
    expect((await n.getEntry(lonely))!.deliveredAt).not.toBeNull();
  });
});
