import { createSigner } from 'fast-jwt';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../api/app';
import { DEV_DEFAULTS } from '../config/settings';
import { DEVICE_KEY, TEST_AUTH, testRateLimits, connectStack, testAuth, useStack, type TestStack } from './support/stack';

const stack = useStack();

type Guard = 'public' | 'user' | 'operator' | 'admin' | 'device';

/** Who may call each route. A route missing here fails the coverage test below. */
const GUARDS: Record<string, Guard> = {
  'GET /health': 'public',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  'GET /resilience': 'operator',
  'POST /users/register': 'public',
  'POST /users/login': 'public',
  'GET /users/me': 'user',
  'PUT /users/me/password': 'user',
  'PUT /users/me/webhook': 'user',
  'PUT /users/:id/role': 'admin',
  'POST /lots': 'admin',
  'PUT /lots/:id/tariff': 'admin',
  'GET /lots/:id': 'public',
  'POST /plates/blocklist': 'admin',
  'DELETE /plates/blocklist/:plate': 'admin',
  'POST /vehicle-entries': 'device',
  'POST /vehicle-exits': 'device',
  'GET /sagas': 'operator',
  'GET /sagas/:id': 'operator',
  'POST /sagas/:id/signals/:name': 'device',
  'GET /products': 'public',
  'GET /products/:id': 'public',
  'POST /products': 'admin',
  'PATCH /products/:id': 'admin',
  'GET /products/:id/stock': 'admin',
  'PUT /products/:id/stock': 'admin',
  'POST /orders': 'user',
  'GET /orders': 'user',
  'GET /orders/:id': 'user',
  'POST /vehicles': 'user',
  'GET /vehicles': 'user',
  'GET /vehicles/:plate': 'user',
  'GET /vehicles/search': 'operator',
  'POST /vehicles/:plate/block': 'admin',
  'DELETE /vehicles/:plate/block': 'admin',
  'GET /reservations/search': 'operator',
  'POST /reservations': 'user',
  'GET /reservations': 'user',
  'GET /reservations/:id': 'user',
  'POST /reservations/:id/cancel': 'user',
  'PATCH /reservations/:id': 'user',
  'GET /events': 'operator',
  'GET /subscriptions': 'admin',
  'POST /subscriptions': 'admin',
  'DELETE /subscriptions/:id': 'admin',
  'GET /admin/faults': 'admin',
  'GET /admin/instances': 'admin',
  'POST /admin/faults': 'admin',
  'DELETE /admin/faults/:point': 'admin',
};

const protectedRoutes = Object.entries(GUARDS).filter(([, guard]) => guard !== 'public');

function call(route: string, headers: Record<string, string>) {
  const [method, path] = route.split(' ') as ['GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string];
  const url = path.replace(/:name/, 'compensate').replace(/:[a-z]+/gi, 'x');
  return stack.app.inject({ method, url, headers, ...(method !== 'GET' && method !== 'DELETE' && { payload: {} }) });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('authentication and roles', () => {
  it('every route of the API is classified here', () => {
    expect([...new Set(stack.app.routeList)].sort()).toEqual(Object.keys(GUARDS).sort());
  });

  it.each(protectedRoutes)('%s without a token → 401', async (route) => {
    expect((await call(route, { authorization: '' })).statusCode).toBe(401);
  });

  it.each(protectedRoutes)('%s with a forged token → 401', async (route) => {
    const forged = createSigner({ key: 'not-the-secret-at-all-0123456789', algorithm: 'HS256' })({ sub: 'x', email: 'x@x', role: 'admin' });
    expect((await call(route, bearer(forged))).statusCode).toBe(401);
  });

  it.each(protectedRoutes)('%s with an expired token → 401', async (route) => {
    const expired = createSigner({ key: TEST_AUTH.secret, algorithm: 'HS256' })({
      sub: 'x',
      email: 'x@x',
      role: 'admin',
      iat: Math.floor(Date.now() / 1000) - 7200,
      exp: Math.floor(Date.now() / 1000) - 3600,
    });
    expect((await call(route, bearer(expired))).statusCode).toBe(401);
  });

  it.each(protectedRoutes.filter(([, guard]) => guard === 'admin' || guard === 'operator'))('%s with a lesser role → 403', async (route, guard) => {
    const lesser = guard === 'admin' ? 'operator' : 'user';
    expect((await call(route, bearer(stack.token(lesser)))).statusCode).toBe(403);
  });

  it.each(protectedRoutes.filter(([, guard]) => guard === 'device'))('%s with an unknown device key → 401', async (route) => {
    expect((await call(route, { 'x-device-key': 'not-a-device-key' })).statusCode).toBe(401);
  });

  it('a gate device may only send gatePassed', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/sagas/entry-x/signals/compensate', headers: { 'x-device-key': DEVICE_KEY }, payload: {} });
    expect(res.statusCode).toBe(403);
  });

  // Two limits, both counting every attempt: per client address (whatever the accounts) and per
  // account (whatever the addresses). They run after the body is parsed, so the account is known.
  it('rate-limits login attempts per client address across accounts, and per account across addresses', async () => {
    const run = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const attempt = (email: string, remoteAddress: string) =>
      stack.app.inject({ method: 'POST', url: '/users/login', remoteAddress, headers: { authorization: '' }, payload: { email, password: 'guess-guess' } });

    // One address, a new account each time: the sixth attempt is refused although that account was never tried.
    const fromOne: number[] = [];
    for (let i = 0; i < 7; i++) fromOne.push((await attempt(`victim-${i}-${run}@test.example`, '203.0.113.10')).statusCode);
    expect(fromOne).toEqual([401, 401, 401, 401, 401, 429, 429]);

    // One account from several addresses: the account has 5 in all, whatever the addresses.
    const email = `victim-${run}@test.example`;
    const fromMany: number[] = [];
    for (let i = 0; i < 7; i++) fromMany.push((await attempt(email, `198.51.100.${i + 1}`)).statusCode);
    expect(fromMany).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // The address that used its 5 on other accounts is refused for a fresh account too.
    expect((await attempt(`fresh-${run}@test.example`, '203.0.113.10')).statusCode).toBe(429);
  });
});

describe('secrets in logs', () => {
  it('no password, token, device key or signing secret reaches a log line', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const app = await buildApp(
      { db: stack.db, domains: stack.domains, temporal: stack.temporal, sagas: stack.sagas, faultsEnabled: true, auth: testAuth(stack.domains), rateLimits: testRateLimits({ loginPerAddress: 100, loginPerAccount: 100 }) },
      { loggerInstance: pino({ level: 'trace' }, sink) },
    );
    const email = `logs-${Date.now()}@test.example`;
    const password = 'a-very-secret-password';
    await app.inject({ method: 'POST', url: '/users/register', payload: { email, password } });
    const login = await app.inject({ method: 'POST', url: '/users/login', payload: { email, password } });
    const token = login.json().token as string;
    await app.inject({ method: 'GET', url: '/users/me', headers: bearer(token) });
    await app.inject({ method: 'POST', url: '/vehicle-exits', headers: { 'x-device-key': DEVICE_KEY }, payload: { lotId: 'x', plate: 'y' } });
    await app.close();
    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of [password, token, DEVICE_KEY, DEV_DEFAULTS.JWT_SECRET]) expect(log).not.toContain(secret);
  });
});
