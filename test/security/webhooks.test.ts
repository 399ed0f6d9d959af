import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createDomains } from '../../domains';
import { createFaultSwitches } from '../../domains/faults/fault-switch';
import { createNotificationService, type NotificationMessage } from '../../domains/notifications';
import { STRICT_OUTBOUND } from '../../shared/outbound-url';
import { postWebhook } from '../../workers/notification-dispatcher';
import { TEST_OUTBOUND, testRateLimits, connectStack, testAuth, type TestStack } from '../support/stack';

// Issue 10: webhooks must not reach internal services, must be signed, and one subscriber must not hold up others.

let stack: TestStack;
const servers: Server[] = [];
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await stack?.close();
});

/** A webhook receiver on this machine; `handle` answers each request (204 by default). */
async function receiver(handle?: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      if (handle) handle(req, res, body);
      else res.writeHead(204).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

const message = (over: Partial<NotificationMessage> = {}): NotificationMessage => ({
  id: randomUUID(),
  eventKey: `sec:${randomUUID()}`,
  type: 'order.confirmed',
  userId: null,
  payload: { orderId: 'o-1' },
  createdAt: new Date().toISOString(),
  attempt: 1,
  ...over,
});

async function until(what: string, done: () => boolean, timeoutMs = 20_000) {
  for (const deadline = Date.now() + timeoutMs; !done(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('security: webhook URLs', () => {
  it.each([
    ['plain http', 'http://hooks.example.com/x'],
    ['loopback', 'https://127.0.0.1/x'],
    ['loopback by name', 'https://localhost/x'],
    ['IPv6 loopback', 'https://[::1]/x'],
    ['private network', 'https://10.1.2.3/x'],
    ['private network 192.168', 'https://192.168.0.10/x'],
    ['cloud metadata (link-local)', 'https://169.254.169.254/latest/meta-data'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/x'],
    ['multicast', 'https://224.0.0.1/x'],
    ['unspecified', 'https://0.0.0.0/x'],
    ['credentials in the URL', 'https://user:pw@hooks.example.com/x'],
    ['a host that does not resolve', 'https://no-such-host.invalid/x'],
    ['not http at all', 'file:///etc/passwd'],
  ])('%s is refused: 400 naming url, and the account keeps no webhook', async (_name, url) => {
    // The API as production builds it: https to public addresses only.
    const domains = createDomains(stack.db, { faultsEnabled: false });
    const logger = pino({ level: 'warn' }, pino.destination({ dest: join(inject('stack').dir, 'api-security.log'), sync: true }));
    const app = await buildApp(
      { db: stack.db, domains, temporal: stack.temporal, sagas: stack.sagas, faultsEnabled: false, auth: testAuth(domains), rateLimits: testRateLimits() },
      { loggerInstance: logger },
    );
    const user = await domains.users.registerUser({ email: `hook-${randomUUID()}@test.example`, password: 'long-enough-password' });
    const token = app.jwt.sign({ sub: user.id, email: user.email, role: 'user', ver: 0 });
    const res = await app.inject({ method: 'PUT', url: '/users/me/webhook', headers: { authorization: `Bearer ${token}` }, payload: { url } });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().fields).toMatchObject([{ field: 'url' }]);
    expect(await stack.db.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ webhookUrl: null, webhookSecret: null });
    await app.close();
  });

  it('checked again at delivery: a webhook that now points inside is not called', async () => {
    const inside = await receiver();
    await expect(postWebhook(inside.url, message(), { policy: STRICT_OUTBOUND })).rejects.toThrow(/https|internal/);
    await expect(postWebhook(inside.url.replace('http:', 'https:'), message(), { policy: { allowHttp: false, allowHosts: [] } })).rejects.toThrow(/internal/);
    expect(inside.received).toEqual([]);
  });

  it('redirects are not followed', async () => {
    const target = await receiver();
    const redirecting = await receiver((_req, res) => res.writeHead(302, { location: target.url }).end());
    await expect(postWebhook(redirecting.url, message(), { policy: TEST_OUTBOUND })).rejects.toThrow(/answered 302/);
    expect(redirecting.received).toHaveLength(1);
    expect(target.received).toEqual([]);
  });
});

describe('security: webhook signatures', () => {
  it('the secret is shown once when set; each delivery carries a timestamp and an HMAC-SHA256 over it and the body', async () => {
    const hook = await receiver();
    const user = await stack.domains.users.registerUser({ email: `sig-${randomUUID()}@test.example`, password: 'long-enough-password' });
    const headers = { authorization: `Bearer ${stack.app.jwt.sign({ sub: user.id, email: user.email, role: 'user' })}` };
    const set = await stack.app.inject({ method: 'PUT', url: '/users/me/webhook', headers, payload: { url: hook.url } });
    expect(set.statusCode, set.body).toBe(200);
    const secret = set.json().webhookSecret as string;
    expect(secret).toMatch(/^whsec_.{32}$/);
    expect((await stack.app.inject({ method: 'GET', url: '/users/me', headers })).json()).not.toHaveProperty('webhookSecret');

    const n = createNotificationService({ db: stack.db, faults: createFaultSwitches(stack.db, false), subscribers: stack.domains.users }, { eventKeyPrefix: 'sig:' });
    const eventKey = `sig:${randomUUID()}`;
    await n.enqueue({ eventKey, type: 'order.confirmed', userId: user.id, payload: { orderId: 'o-9' } });
    await n.deliverDue({ now: new Date(Date.now() + 1000), send: (url, m, s) => postWebhook(url, m, { secret: s, policy: TEST_OUTBOUND }) });
    expect(hook.received).toHaveLength(1);
    const [{ headers: got, body }] = hook.received as [{ headers: IncomingMessage['headers']; body: string }];
    // What a receiver does (README): recompute the HMAC over "<t>.<body>" and compare; check t is recent.
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(got['x-webhook-signature']))!;
    expect(t).toBe(got['x-webhook-timestamp']);
    expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThan(300);
    expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
    expect(JSON.parse(body)).toMatchObject({ eventKey, payload: { orderId: 'o-9' } });
    // Another secret (a forger's) gives another signature.
    expect(v1).not.toBe(createHmac('sha256', 'whsec_forged').update(`${t}.${body}`).digest('hex'));
  });
});

describe('security: fair delivery', () => {
  it('a subscriber that does not answer holds up no other subscriber; after the give-up time the row is dead', async () => {
    let release: (() => void) | undefined;
    const stuck = await receiver((_req, res) => {
      release = () => res.writeHead(503).end();
    });
    const fast = await receiver();
    const users = stack.domains.users;
    const slowUser = await users.registerUser({ email: `slow-${randomUUID()}@test.example`, password: 'long-enough-password' });
    const fastUser = await users.registerUser({ email: `fast-${randomUUID()}@test.example`, password: 'long-enough-password' });
    await users.setWebhook(slowUser.id, stuck.url);
    await users.setWebhook(fastUser.id, fast.url);
    const prefix = `fair:${randomUUID()}:`;
    const n = createNotificationService(
      { db: stack.db, faults: createFaultSwitches(stack.db, false), subscribers: users },
      { eventKeyPrefix: prefix, giveUpAfterMs: 60_000 },
    );
    // The stuck subscriber's row is the older one: it is due first.
    await n.enqueue({ eventKey: `${prefix}slow`, type: 't', userId: slowUser.id, payload: {} });
    await n.enqueue({ eventKey: `${prefix}fast`, type: 't', userId: fastUser.id, payload: {} });
    const created = (await stack.db.notificationOutbox.findUniqueOrThrow({ where: { eventKey: `${prefix}fast` } })).createdAt;
    const pass = n.deliverDue({ now: new Date(created.getTime() + 1000), send: (url, m, s) => postWebhook(url, m, { secret: s, policy: TEST_OUTBOUND, timeoutMs: 60_000 }) });
    await until('the fast subscriber to get its message', () => fast.received.length === 1);
    expect(stuck.received).toHaveLength(1);
    expect(release).toBeDefined(); // the stuck one still holds its request open
    release!();
    expect(await pass).toMatchObject({ claimed: 2, delivered: 1, retried: 1, dead: 0 });

    // Past the give-up time, a failed attempt marks the row dead; it is not tried again.
    const late = new Date(created.getTime() + 61_000);
    const failing = () => Promise.reject(new Error('still down'));
    expect(await n.deliverDue({ now: late, send: failing })).toMatchObject({ dead: 1 });
    expect((await n.getEntry(`${prefix}slow`))!.deadAt).not.toBeNull();
    expect(await n.deliverDue({ now: new Date(late.getTime() + 3_600_000), send: failing })).toMatchObject({ claimed: 0 });
  });
});
