import { Client, Connection } from '@temporalio/client';
import { createSigner } from 'fast-jwt';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { buildApp } from '../api/app';
import { POLLER_FRESH_MS, livePollers } from '../api/health/checks';
import { createDb, type Db } from '../db/client';
import { createSagaClient } from '../temporal/saga-client';
import { waitUntil } from './support/processes';
import { TEST_AUTH, testRateLimits, connectStack, testAuth, useStack, type TestStack } from './support/stack';

/**
 * GET /health as seed 003 has it: each check UP, DOWN or UNKNOWN with when it ran and how
 * long it took; any DOWN → DOWN, else any UNKNOWN → UNKNOWN, else UP; 200 only for UP.
 * The broken dependencies are apps of this file's own, pointed at a task queue nobody polls,
 * an address nobody listens on or a namespace that does not exist: the shared servers stay up.
 */
const stack = useStack();

const anonymous = { authorization: '' }; // the stack's inject otherwise adds an admin token
const as = (role: 'user' | 'operator' | 'admin') => ({ authorization: `Bearer ${stack.token(role)}` });
type App = Pick<TestStack['app'], 'inject'>;
const health = (app: App, headers: Record<string, string>) => app.inject({ method: 'GET', url: '/health', headers });

/**
 * How long the checks of this file's apps wait: a healthy dependency must read UP however loaded
 * the machine is, and the broken ones fail by themselves (refused, unknown), not by the deadline.
 * The deadline has a test of its own, against a dependency that never answers.
 */
const PATIENT_MS = 60_000;

/** An API on the shared database, with its own Temporal client (and task queue), or on its own database. */
async function ownApp(options: { temporal?: Client; taskQueue?: string; db?: Db; healthCheckTimeoutMs?: number }) {
  const temporal = options.temporal ?? stack.temporal;
  const sagas = createSagaClient(temporal, { taskQueue: options.taskQueue ?? inject('stack').taskQueue, waitMs: 1000 });
  const app = await buildApp(
    { db: options.db ?? stack.db, domains: stack.domains, temporal, sagas, faultsEnabled: false, auth: testAuth(stack.domains), rateLimits: testRateLimits(), healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? PATIENT_MS },
    { logger: false },
  );
  const operator = { authorization: `Bearer ${app.jwt.sign({ sub: 'op', email: 'op@test.example', role: 'operator' })}` };
  return { app, operator };
}

/** A check's timing: an ISO time of this run (within the last minute) and a duration in ms. */
function expectTimed(check: { checkedAt: string; durationMs: number }) {
  expect(new Date(check.checkedAt).toISOString()).toBe(check.checkedAt);
  expect(Date.now() - Date.parse(check.checkedAt)).toBeLessThan(60_000);
  expect(check.durationMs).toBeGreaterThanOrEqual(0);
}

describe('GET /health on the running platform', () => {
  it('operators see every check UP with its time and duration, the polling workers and the vendors', async () => {
    // The shared worker polls from the start; wait for its first poll and first published snapshot rather than assume them.
    let body: any;
    await waitUntil('the workers check and the vendors view', async () => {
      const res = await health(stack.app, as('operator'));
      body = res.json();
      return res.statusCode === 200 && body.externalServices.publishedAt !== undefined;
    });
    expect(body.status).toBe('UP');
    for (const name of ['temporal', 'database', 'workers'] as const) {
      expect(body.checks[name].status).toBe('UP');
      expectTimed(body.checks[name]);
    }
    expect(body.checks.workers.taskQueue).toBe(inject('stack').taskQueue);
    expect(body.checks.workers.pollers.length).toBeGreaterThan(0);
    // The vendors are reported (whichever worker published last: other files' workers may have theirs down) but do not count.
    expectTimed(body.externalServices);
    expect(['UP', 'DOWN', 'UNKNOWN']).toContain(body.externalServices.status);
    expect(Object.keys(body.externalServices.services)).toEqual(expect.arrayContaining(['anpr', 'anpr-backup', 'payment', 'payment-backup']));
    expect(body.externalServices.services.anpr.instances[0].url).toMatch(/^http:/);
  });

  it('GET /health/ready and /health/live answer UP (200) to anyone', async () => {
    for (const url of ['/health/ready', '/health/live']) {
      const res = await stack.app.inject({ method: 'GET', url, headers: anonymous });
      expect([url, res.statusCode, res.json()]).toEqual([url, 200, { status: 'UP' }]);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('an anonymous caller gets the overall status and nothing else', async () => {
    await waitUntil('the platform UP', async () => (await health(stack.app, anonymous)).statusCode === 200);
    const res = await health(stack.app, anonymous);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'UP' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a signed-in user without the operator role gets the overall status only; admins get the details', async () => {
    expect(Object.keys((await health(stack.app, as('user'))).json())).toEqual(['status']);
    expect((await health(stack.app, as('admin'))).json()).toHaveProperty('checks.database.status');
  });

  it('a token that does not verify is refused with 401, not answered as anonymous', async () => {
    const forged = createSigner({ key: 'not-the-secret-at-all-0123456789', algorithm: 'HS256' })({ sub: 'x', email: 'x@x', role: 'admin' });
    const res = await health(stack.app, { authorization: `Bearer ${forged}` });
    expect(res.statusCode).toBe(401);
    expect(res.body).not.toContain('checks');
  });
});

describe('GET /health when a dependency is missing', () => {
  it('no worker polls the saga task queue: workers DOWN, 503', async () => {
    const { app, operator } = await ownApp({ taskQueue: `health-no-worker-${randomUUID()}` });
    try {
      const summary = await health(app, {});
      expect(summary.statusCode).toBe(503);
      expect(summary.json()).toEqual({ status: 'DOWN' });
      const body = (await health(app, operator)).json();
      expect(body.checks).toMatchObject({ temporal: { status: 'UP' }, database: { status: 'UP' }, workers: { status: 'DOWN', pollers: [] } });
      expect(body.checks.workers.error).toMatch(/no worker polled task queue health-no-worker-/);
      expectTimed(body.checks.workers);
    } finally {
      await app.close();
    }
  });

  it('Temporal unreachable: temporal DOWN, the workers cannot be asked (UNKNOWN), 503', async () => {
    // Port 1: nobody listens there. A lazy connection, since connect() itself would fail; without
    // the SDK's retry interceptor, whose backoff timer outlives the aborted call and, firing after
    // the connection is closed below, threw "Channel has been shut down" into later tests.
    const connection = Connection.lazy({ address: '127.0.0.1:1', interceptors: [] });
    const { app, operator } = await ownApp({ temporal: new Client({ connection, namespace: 'default' }) });
    try {
      // Both at once: they share one run of the checks, whose calls are refused.
      const [res, summary] = await Promise.all([health(app, operator), health(app, {})]);
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.status).toBe('DOWN');
      expect(body.checks).toMatchObject({ temporal: { status: 'DOWN' }, workers: { status: 'UNKNOWN' }, database: { status: 'UP' } });
      expect(body.checks.temporal.error).toEqual(expect.any(String));
      expectTimed(body.checks.temporal);
      expect(summary.statusCode).toBe(503);
      expect(summary.json()).toEqual({ status: 'DOWN' });
      // Readiness says the same; liveness asks nothing and stays UP (nobody should restart this process).
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect([ready.statusCode, ready.json()]).toEqual([503, { status: 'DOWN' }]);
      const live = await app.inject({ method: 'GET', url: '/health/live' });
      expect([live.statusCode, live.json()]).toEqual([200, { status: 'UP' }]);
    } finally {
      await app.close();
      await connection.close();
    }
  });

  it('Temporal accepts the connection and never answers: DOWN once the deadline passes, and 503', async () => {
    // A listener that takes connections and says nothing: calls wait for the server's greeting until the deadline.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const connection = Connection.lazy({ address: `127.0.0.1:${(silent.address() as AddressInfo).port}`, interceptors: [] });
    const { app, operator } = await ownApp({ temporal: new Client({ connection, namespace: 'default' }), healthCheckTimeoutMs: 1000 });
    try {
      const res = await health(app, operator);
      expect(res.statusCode).toBe(503);
      expect(res.json().checks.temporal).toMatchObject({ status: 'DOWN', error: 'no answer within 1000 ms' });
      expect(res.json().checks.temporal.durationMs).toBeGreaterThanOrEqual(1000);
    } finally {
      await app.close();
      await connection.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('database unreachable: database DOWN, the vendors view UNKNOWN, 503', async () => {
    const db = await createDb('postgres://health:none@127.0.0.1:1/none');
    const { app, operator } = await ownApp({ db });
    try {
      const res = await health(app, operator);
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.status).toBe('DOWN');
      expect(body.checks).toMatchObject({ database: { status: 'DOWN' }, temporal: { status: 'UP' } });
      expect(body.externalServices.status).toBe('UNKNOWN');
      expect(body.checks.database.error).toMatch(/127\.0\.0\.1:1/); // the cause, not Prisma's pages of call site
      expect(body.checks.database.error.length).toBeLessThanOrEqual(300);
      expectTimed(body.checks.database);
      expect((await health(app, {})).json()).toEqual({ status: 'DOWN' });
    } finally {
      await app.close();
      await db.$disconnect();
    }
  });

  it('Temporal answers but cannot say who polls (an unknown namespace): UNKNOWN, and 503', async () => {
    const connection = await Connection.connect({ address: inject('stack').temporalAddress });
    const { app, operator } = await ownApp({ temporal: new Client({ connection, namespace: `no-such-namespace-${randomUUID()}` }) });
    try {
      const res = await health(app, operator);
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.status).toBe('UNKNOWN');
      expect(body.checks).toMatchObject({ temporal: { status: 'UP' }, database: { status: 'UP' }, workers: { status: 'UNKNOWN' } });
      expect(body.checks.workers.error).toMatch(/namespace/i);
      expect((await health(app, {})).json()).toEqual({ status: 'UNKNOWN' });
    } finally {
      await app.close();
      await connection.close();
    }
  });
});

describe('which pollers count', () => {
  it(`a poller counts while its last poll is at most ${POLLER_FRESH_MS / 1000} s old (the server lists dead workers for minutes)`, () => {
    const now = Date.parse('2025-01-01T12:00:00.000Z');
    const pollers = [
      { identity: 'fresh', lastAccessMs: now - 1000 },
      { identity: 'edge', lastAccessMs: now - POLLER_FRESH_MS },
      { identity: 'gone', lastAccessMs: now - POLLER_FRESH_MS - 1 },
      { identity: 'never', lastAccessMs: undefined },
    ];
    expect(livePollers(pollers, now)).toEqual([
      { identity: 'fresh', lastAccessAt: '2025-01-01T11:59:59.000Z' },
      { identity: 'edge', lastAccessAt: new Date(now - POLLER_FRESH_MS).toISOString() },
    ]);
  });
});
