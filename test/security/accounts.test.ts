import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../../api/app';
import type { RateLimits } from '../../api/plugins/rate-limits';
import { DEV_DEFAULTS, parseSettings } from '../../config/settings';
import { hashPassword } from '../../domains/users/password';
import { TEST_AUTH, connectStack, testRateLimits, createLot, lotCounts, uniquePlate, type TestStack } from '../support/stack';

// Issue 10: accounts, tokens and keys against a hostile user with a free account or a leaked key.

let stack: TestStack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => stack?.close());

const GATE_A_KEY = 'gate-a-key-0123456789-0123456789-abcdef';

/** The API wired as api/server.ts wires it: token versions from the database (an unknown user is refused). */
async function productionLikeApp(limits: Partial<RateLimits> = {}, lots: { gateA: string[] } = { gateA: [] }, trustProxy?: string) {
  const logger = pino({ level: 'warn' }, pino.destination({ dest: join(inject('stack').dir, 'api-security.log'), sync: true }));
  const app = await buildApp(
    {
      db: stack.db,
      domains: stack.domains,
      temporal: stack.temporal,
      sagas: stack.sagas,
      faultsEnabled: false,
      auth: {
        ...TEST_AUTH,
        devices: [{ name: 'gate-a', lots: lots.gateA, key: GATE_A_KEY }],
        tokenVersionOf: (userId) => stack.domains.users.tokenVersionOf(userId),
      },
      rateLimits: testRateLimits({ loginPerAddress: 100, loginPerAccount: 100, registrationsPerAddress: 100, sagaStartsPerUser: 100, ...limits }),
    },
    { loggerInstance: logger, ...(trustProxy && { trustProxy }) },
  );
  return app;
}
type App = Awaited<ReturnType<typeof productionLikeApp>>;

const email = () => `sec-${randomUUID()}@test.example`;
const PASSWORD = 'a-long-enough-password';

async function signUp(app: App, address = email()) {
  const res = await app.inject({ method: 'POST', url: '/users/register', payload: { email: address, password: PASSWORD } });
  expect(res.statusCode, res.body).toBe(201);
  const login = await app.inject({ method: 'POST', url: '/users/login', payload: { email: address, password: PASSWORD } });
  expect(login.statusCode, login.body).toBe(200);
  return { id: res.json().id as string, email: address, token: login.json().token as string };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const adminToken = (app: App, admin: { id: string; email: string }) => app.jwt.sign({ sub: admin.id, email: admin.email, role: 'admin', ver: 0 });

describe('security: login limits', () => {
  const attempt = (app: App, address: string, remoteAddress: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/users/login', remoteAddress, headers, payload: { email: address, password: 'wrong-guess' } });

  it('one address trying many accounts is refused after the limit', async () => {
    const app = await productionLikeApp({ loginPerAddress: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await attempt(app, email(), '203.0.113.20')).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    await app.close();
  });

  it('one account tried from many addresses is refused after the limit, even with the right password', async () => {
    const app = await productionLikeApp({ loginPerAccount: 3 });
    const victim = await stack.domains.users.registerUser({ email: email(), password: PASSWORD });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await attempt(app, victim.email, `198.51.100.${10 + i}`)).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    const right = await app.inject({ method: 'POST', url: '/users/login', remoteAddress: '198.51.100.99', payload: { email: victim.email, password: PASSWORD } });
    expect(right.statusCode).toBe(429);
    expect(right.json()).toMatchObject({ reason: 'RATE_LIMITED' });
    await app.close();
  });

  it('API replicas count one limit together: alternating between two buys no fresh attempts', async () => {
    const scope = `${randomUUID()}:`; // the two apps are replicas of one platform: one scope, as in production
    const replicas = [await productionLikeApp({ loginPerAddress: 3, scope }), await productionLikeApp({ loginPerAddress: 3, scope })];
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await attempt(replicas[i % 2]!, email(), '203.0.113.40')).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    for (const app of replicas) await app.close();
  });

  it('a forged X-Forwarded-For buys no fresh attempts while TRUST_PROXY is off', async () => {
    const app = await productionLikeApp({ loginPerAddress: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await attempt(app, email(), '203.0.113.30', { 'x-forwarded-for': `192.0.2.${i}` })).statusCode);
    expect(codes).toEqual([401, 401, 401, 429, 429]);
    await app.close();
  });

  it('behind a trusted proxy the client address is the forwarded one (and the account limit still holds)', async () => {
    const app = await productionLikeApp({ loginPerAddress: 3, loginPerAccount: 3 }, undefined, '127.0.0.1');
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await attempt(app, email(), '127.0.0.1', { 'x-forwarded-for': `192.0.2.${i}` })).statusCode);
    expect(codes).toEqual([401, 401, 401, 401, 401]);
    const one = email();
    const same: number[] = [];
    for (let i = 0; i < 5; i++) same.push((await attempt(app, one, '127.0.0.1', { 'x-forwarded-for': `192.0.2.${50 + i}` })).statusCode);
    expect(same).toEqual([401, 401, 401, 429, 429]);
    await app.close();
  });
});

describe('security: request limits', () => {
  it('registrations per address: 429, and no account is created', async () => {
    const app = await productionLikeApp({ registrationsPerAddress: 2 });
    const register = (address: string) => app.inject({ method: 'POST', url: '/users/register', remoteAddress: '203.0.113.40', payload: { email: address, password: PASSWORD } });
    expect((await register(email())).statusCode).toBe(201);
    expect((await register(email())).statusCode).toBe(201);
    const third = email();
    expect((await register(third)).statusCode).toBe(429);
    expect(await stack.db.user.findUnique({ where: { email: third } })).toBeNull();
    await app.close();
  });

  it('reservations and orders per user: 429, and nothing is booked or ordered', async () => {
    const app = await productionLikeApp({ sagaStartsPerUser: 1 });
    const user = await signUp(app);
    const lot = await createLot(stack, { capacity: 2 }); // no tariff: the first request is refused before any saga
    const plate = uniquePlate();
    await app.inject({ method: 'POST', url: '/vehicles', headers: bearer(user.token), payload: { plate, ownerName: 'A' } });
    const at = Date.now();
    const body = { lotId: lot.id, plate, startsAt: new Date(at).toISOString(), endsAt: new Date(at + 3_600_000).toISOString() };
    expect((await app.inject({ method: 'POST', url: '/reservations', headers: bearer(user.token), payload: body })).statusCode).toBe(409);
    await stack.app.inject({ method: 'PUT', url: `/lots/${lot.id}/tariff`, payload: { tariffPerHour: 400 } });
    const limited = await app.inject({ method: 'POST', url: '/reservations', headers: bearer(user.token), payload: body });
    expect(limited.statusCode).toBe(429);
    expect(await stack.db.reservation.count({ where: { userId: user.id } })).toBe(0);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 0 });

    const order = () => app.inject({ method: 'POST', url: '/orders', headers: bearer(user.token), payload: { items: [{ productId: 'no-such-product', quantity: 1 }] } });
    await order();
    const before = await stack.db.order.count({ where: { userId: user.id } });
    expect((await order()).statusCode).toBe(429);
    expect(await stack.db.order.count({ where: { userId: user.id } })).toBe(before);
    await app.close();
  });

  it('changing a reservation shares the booking budget: 429, and neither the period nor the payment moves', async () => {
    const app = await productionLikeApp({ sagaStartsPerUser: 2 });
    const user = await signUp(app);
    const lot = await createLot(stack, { capacity: 3, tariffPerHour: 300 });
    const plate = uniquePlate();
    await app.inject({ method: 'POST', url: '/vehicles', headers: bearer(user.token), payload: { plate, ownerName: 'A' } });
    const hours = (from: number, to: number) => ({ startsAt: new Date(at + from * 3_600_000).toISOString(), endsAt: new Date(at + to * 3_600_000).toISOString() });
    const at = Date.now() + 60_000;
    const booked = await app.inject({ method: 'POST', url: '/reservations', headers: bearer(user.token), payload: { lotId: lot.id, plate, ...hours(0, 1) } });
    expect(booked.statusCode, booked.body).toBe(201);
    const id = booked.json().reservationId as string;
    const change = (from: number, to: number) => app.inject({ method: 'PATCH', url: `/reservations/${id}`, headers: bearer(user.token), payload: hours(from, to) });

    const first = await change(0, 2);
    expect(first.statusCode, first.body).toBe(200);
    const payments = () => stack.db.payment.findMany({ where: { reference: id }, orderBy: { createdAt: 'asc' }, select: { amount: true, status: true, refundedAmount: true } });
    const paidBefore = await payments();
    const limited = await change(0, 3);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ reason: 'RATE_LIMITED', limit: 'reservations per user' });
    expect(limited.headers['retry-after']).toBeDefined();
    const now = await stack.db.reservation.findUniqueOrThrow({ where: { id } });
    expect({ startsAt: now.startsAt.toISOString(), endsAt: now.endsAt.toISOString() }).toEqual(hours(0, 2));
    expect(await payments()).toEqual(paidBefore);
    // One budget: the change used the booking's too.
    const another = await app.inject({ method: 'POST', url: '/reservations', headers: bearer(user.token), payload: { lotId: lot.id, plate, ...hours(5, 6) } });
    expect(another.statusCode).toBe(429);
    await app.close();
  });
});

describe('security: tokens', () => {
  let app: App;
  let admin: { id: string; email: string };
  beforeAll(async () => {
    app = await productionLikeApp();
    const created = await stack.domains.users.registerUser({ email: email(), password: PASSWORD });
    await stack.db.user.update({ where: { id: created.id }, data: { role: 'admin' } });
    admin = created;
  });
  afterAll(async () => app?.close());

  it('a role change ends the earlier tokens at once', async () => {
    const user = await signUp(app);
    await app.inject({ method: 'PUT', url: `/users/${user.id}/role`, headers: bearer(adminToken(app, admin)), payload: { role: 'operator' } });
    expect((await app.inject({ method: 'GET', url: '/users/me', headers: bearer(user.token) })).statusCode).toBe(401);
    // A new login gets a token with the new role.
    const again = await app.inject({ method: 'POST', url: '/users/login', payload: { email: user.email, password: PASSWORD } });
    expect((await app.inject({ method: 'GET', url: '/sagas?limit=1', headers: bearer(again.json().token) })).statusCode).toBe(200);
  });

  it('a password change ends the earlier tokens at once; the wrong current password changes nothing', async () => {
    const user = await signUp(app);
    const change = (current: string) =>
      app.inject({ method: 'PUT', url: '/users/me/password', headers: bearer(user.token), payload: { currentPassword: current, newPassword: 'another-long-password' } });
    const before = await stack.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect((await change('not-the-password')).statusCode).toBe(403);
    expect(await stack.db.user.findUniqueOrThrow({ where: { id: user.id } })).toEqual(before);
    expect((await change(PASSWORD)).statusCode).toBe(204);
    expect((await app.inject({ method: 'GET', url: '/users/me', headers: bearer(user.token) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/users/login', payload: { email: user.email, password: PASSWORD } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/users/login', payload: { email: user.email, password: 'another-long-password' } })).statusCode).toBe(200);
  });

  it("GET /health: a revoked operator token is refused (401), not shown the operators' details", async () => {
    const user = await signUp(app);
    const setRole = (role: string) =>
      app.inject({ method: 'PUT', url: `/users/${user.id}/role`, headers: bearer(adminToken(app, admin)), payload: { role } });
    expect((await setRole('operator')).statusCode).toBe(200);
    const login = await app.inject({ method: 'POST', url: '/users/login', payload: { email: user.email, password: PASSWORD } });
    const operatorToken = login.json().token as string;
    const health = (token: string) => app.inject({ method: 'GET', url: '/health', headers: bearer(token) });
    expect((await health(operatorToken)).json()).toHaveProperty('checks.database.status');
    // Demoted: the operator token, still within its expiry and well signed, no longer counts.
    expect((await setRole('user')).statusCode).toBe(200);
    const revoked = await health(operatorToken);
    expect(revoked.statusCode).toBe(401);
    expect(revoked.body).not.toContain('checks');
    // A token of no account at all (a leaked signing secret, a deleted user) is refused too.
    const ghost = app.jwt.sign({ sub: `ghost-${randomUUID()}`, email: 'ghost@test.example', role: 'admin' });
    expect((await health(ghost)).statusCode).toBe(401);
  });

  it('a signed token of a user that does not exist is refused', async () => {
    const forged = app.jwt.sign({ sub: `ghost-${randomUUID()}`, email: 'ghost@test.example', role: 'admin' });
    expect((await app.inject({ method: 'POST', url: '/lots', headers: bearer(forged), payload: { name: 'x', capacity: 1 } })).statusCode).toBe(401);
  });

  it('settings: a JWT secret under 32 bytes and a lifetime over 24 h are refused', () => {
    expect(() => parseSettings({ JWT_SECRET: 'x'.repeat(31) })).toThrow(/JWT_SECRET: at least 32 bytes/);
    expect(() => parseSettings({ JWT_EXPIRES_IN: '7d' })).toThrow(/JWT_EXPIRES_IN: at most 24h/);
    expect(() => parseSettings({ JWT_EXPIRES_IN: '25h' })).toThrow(/JWT_EXPIRES_IN: at most 24h/);
    expect(parseSettings({ NODE_ENV: 'development', JWT_EXPIRES_IN: '24h', JWT_SECRET: 'y'.repeat(32) }).JWT_EXPIRES_IN).toBe('24h');
  });
});

describe('security: passwords', () => {
  it('an old, weaker hash still verifies and is replaced by a strong one at the next login', async () => {
    const app = await productionLikeApp();
    const address = email();
    const { scrypt, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const weak = await new Promise<Buffer>((resolve, reject) => scrypt(PASSWORD, salt, 32, { N: 16_384, r: 8, p: 1 }, (e, k) => (e ? reject(e) : resolve(k))));
    await stack.db.user.create({ data: { email: address, passwordHash: `scrypt$16384$8$1$${salt.toString('base64')}$${weak.toString('base64')}` } });
    expect((await app.inject({ method: 'POST', url: '/users/login', payload: { email: address, password: PASSWORD } })).statusCode).toBe(200);
    const upgraded = (await stack.db.user.findUniqueOrThrow({ where: { email: address } })).passwordHash;
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect((await app.inject({ method: 'POST', url: '/users/login', payload: { email: address, password: PASSWORD } })).statusCode).toBe(200);
    expect(await hashPassword('x')).toMatch(/^scrypt\$131072\$8\$1\$/);
    await app.close();
  });
});

describe('security: device keys', () => {
  it('a gate key used at another lot is refused (403) and nothing changes; at its own lot it works', async () => {
    const mine = await createLot(stack, { capacity: 2 });
    const other = await createLot(stack, { capacity: 2 });
    const app = await productionLikeApp({}, { gateA: [mine.id] });
    const headers = { 'x-device-key': GATE_A_KEY };
    const elsewhere = await app.inject({ method: 'POST', url: '/vehicle-entries', headers, payload: { lotId: other.id, plate: uniquePlate() } });
    expect(elsewhere.statusCode).toBe(403);
    expect(await lotCounts(stack, other.id)).toMatchObject({ free: 2, occupied: 0 });
    const exitElsewhere = await app.inject({ method: 'POST', url: '/vehicle-exits', headers, payload: { lotId: other.id, plate: uniquePlate() } });
    expect(exitElsewhere.statusCode).toBe(403);
    const here = await app.inject({ method: 'POST', url: '/vehicle-entries', headers, payload: { lotId: mine.id, plate: uniquePlate() } });
    expect(here.statusCode, here.body).toBe(201);
    await app.close();
  });

  it('gatePassed at another lot is refused; the audit trail names the device as configured, not the label it sends', async () => {
    const gated = await createLot(stack, { capacity: 2, requireGateConfirmation: true, gateTimeoutSeconds: 600 });
    const other = await productionLikeApp({}, { gateA: ['some-other-lot'] });
    const own = await productionLikeApp({}, { gateA: [gated.id] });
    const started = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: gated.id, plate: uniquePlate() } });
    const { sagaId } = started.json();
    const { waitForSaga } = await import('../support/stack');
    await waitForSaga(stack, sagaId, (s) => s.awaiting.includes('gatePassed'));
    const signal = (app: App) =>
      app.inject({ method: 'POST', url: `/sagas/${sagaId}/signals/gatePassed`, headers: { 'x-device-key': GATE_A_KEY }, payload: { by: 'the-admin' } });
    expect((await signal(other)).statusCode).toBe(403);
    expect((await signal(own)).statusCode).toBe(202);
    const done = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPLETED');
    expect(done.actions).toEqual([expect.objectContaining({ action: 'gatePassed', by: 'device:gate-a', accepted: true })]);
    await other.close();
    await own.close();
  });

  it('settings: new-form keys need 32 characters, a name and lots; the old form only in development', () => {
    const production = { NODE_ENV: 'production', FAULTS_ENABLED: 'false', JWT_SECRET: 'p'.repeat(40), ADMIN_PASSWORD: 'a-real-admin-password' };
    expect(parseSettings({ ...production, DEVICE_KEYS: `gate-1:lot-1|lot-2:${'k'.repeat(32)}` }).DEVICE_KEYS).toEqual([
      { name: 'gate-1', lots: ['lot-1', 'lot-2'], key: 'k'.repeat(32), legacy: false },
    ]);
    expect(() => parseSettings({ ...production, DEVICE_KEYS: `gate-1:*:${'k'.repeat(31)}` })).toThrow(/at least 32 characters/);
    expect(() => parseSettings({ ...production, DEVICE_KEYS: `gate 1:*:${'k'.repeat(32)}` })).toThrow(/name/);
    expect(() => parseSettings({ ...production, DEVICE_KEYS: `gate-1::${'k'.repeat(32)}` })).toThrow(/lots/);
    expect(() => parseSettings({ ...production, DEVICE_KEYS: 'k'.repeat(40) })).toThrow(/DEVICE_KEYS: use name:lots:key/);
    expect(parseSettings({ NODE_ENV: 'development' }).DEVICE_KEYS).toMatchObject([{ key: DEV_DEFAULTS.DEVICE_KEYS, legacy: true, lots: '*' }]);
  });
});

describe('security: operator actions', () => {
  it.each(['compensate', 'retryStep', 'retryCompensation', 'skipCompensation', 'gatePassed'])('%s by an operator with a blank reason: 400 naming reason', async (name) => {
    const operator = { authorization: `Bearer ${stack.token('operator')}` };
    for (const payload of [{}, { reason: '   ' }]) {
      const res = await stack.app.inject({ method: 'POST', url: `/sagas/entry-whatever/signals/${name}`, headers: operator, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().fields).toMatchObject([{ field: 'reason' }]);
    }
  });
});
