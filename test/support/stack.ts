import type { Client } from '@temporalio/client';
import { randomInt, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import type { SagaState } from '../../workflows/saga';
import type { InjectOptions } from 'fastify';
import { buildApp } from '../../api/app';
import { createApiClient, type ApiClient } from '../../client';
import type { AuthOptions, Role } from '../../api/plugins/auth';
import type { RateLimits } from '../../api/plugins/rate-limits';
import { DEV_DEFAULTS } from '../../config/settings';
import { createDb, type Db } from '../../db/client';
import { createDomains, type Domains } from '../../domains';
import { PLATE_LETTERS } from '../../domains/plates';
import { connectClient } from '../../temporal/connection';
import { createSagaClient, type SagaClient } from '../../temporal/saga-client';

/** The test stack's secrets (the development defaults; the device key in its old form, any lot). */
export const TEST_AUTH = { secret: DEV_DEFAULTS.JWT_SECRET, expiresIn: '1h', devices: [{ name: 'test-gate', lots: '*' as const, key: DEV_DEFAULTS.DEVICE_KEYS }] };

/**
 * The test API's auth: TEST_AUTH, with token versions read from the database. Tests sign tokens
 * for made-up users (stack.token): those have no row, and count as version 0 here; the product
 * (api/server.ts) refuses a token of a user that does not exist. test/security/ checks that.
 */
export function testAuth(domains: Domains): AuthOptions {
  return { ...TEST_AUTH, tokenVersionOf: async (userId) => (await domains.users.tokenVersionOf(userId)) ?? 0 };
}
export const DEVICE_KEY = DEV_DEFAULTS.DEVICE_KEYS;
/** Webhooks of the tests: plain http to receivers on this machine (the product: https to public addresses only). */
export const TEST_OUTBOUND = { allowHttp: true, allowHosts: ['127.0.0.1', 'localhost'] };

/** Login limits low enough to test; registrations and saga starts high enough for suites that make many. */
/**
 * The tests' rate limits, in a scope of their own: each app counts alone, as a file's tests expect,
 * while the counters still live in the shared database as in production. Counted per hour, not
 * per minute: a test's attempts stay in one window however slowly a loaded machine runs them.
 */
export function testRateLimits(overrides: Partial<RateLimits> = {}): RateLimits {
  return { loginPerAddress: 5, loginPerAccount: 5, registrationsPerAddress: 10_000, sagaStartsPerUser: 10_000, scope: `${randomUUID()}:`, windowMs: 3_600_000, ...overrides };
}

export interface TestStack {
  db: Db;
  domains: Domains;
  temporal: Client;
  sagas: SagaClient;
  /** The API; requests carry an admin token unless they set their own authorization header. */
  app: Awaited<ReturnType<typeof buildApp>>;
  /** Signs a token for a role (and user id). */
  token(role: Role, sub?: string, email?: string): string;
  /** The typed client (client/) on this API, through app.inject; as an admin unless given a token. */
  api(token?: string): ApiClient;
  close(): Promise<void>;
}

/** Connects a test file to the running stack and builds the API on it (requests go through app.inject). */
export async function connectStack(options: { waitMs?: number; taskQueue?: string } = {}): Promise<TestStack> {
  const info = inject('stack');
  const db = await createDb(info.databaseUrl);
  const domains = createDomains(db, { faultsEnabled: true, outbound: TEST_OUTBOUND });
  const temporal = await connectClient({ address: info.temporalAddress, namespace: 'default' });
  const sagas = createSagaClient(temporal, { taskQueue: options.taskQueue ?? info.taskQueue, waitMs: options.waitMs ?? 10_000, webUiUrl: info.webUiUrl });
  const logger = pino({ level: 'warn' }, pino.destination({ dest: join(info.dir, 'api-test.log'), sync: true }));
  const app = await buildApp({ db, domains, temporal, sagas, faultsEnabled: true, auth: testAuth(domains), rateLimits: testRateLimits(), healthCheckTimeoutMs: 60_000 }, { loggerInstance: logger });
  const token = (role: Role, sub = `test-${role}`, email = `${role}@test.example`) => app.jwt.sign({ sub, email, role });
  const adminToken = token('admin');
  const rawInject = app.inject.bind(app);
  // Most tests are about sagas, not auth: they act as an admin unless they say otherwise.
  app.inject = ((opts: InjectOptions) => {
    const headers = { ...(opts.headers ?? {}) } as Record<string, string>;
    if (!('authorization' in headers) && !('x-device-key' in headers)) headers.authorization = `Bearer ${adminToken}`;
    if (headers.authorization === '') delete headers.authorization;
    return rawInject({ ...opts, headers });
  }) as typeof app.inject;
  const fetchThroughInject = injectFetch(app);
  return {
    db,
    domains,
    temporal,
    sagas,
    app,
    token,
    api: (as = adminToken) => createApiClient({ baseUrl: 'http://api.test', token: as, fetch: fetchThroughInject }),
    async close() {
      await app.close();
      await temporal.connection.close();
      await db.$disconnect();
    },
  };
}

/** A fetch that answers from app.inject: the typed client without a listening port. */
function injectFetch(app: TestStack['app']): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const res = await app.inject({
      method: request.method as InjectOptions['method'],
      url: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      ...(body && { payload: body }),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(name, String(value));
    return new Response([204, 304].includes(res.statusCode) ? null : res.rawPayload, { status: res.statusCode, headers });
  };
}

/**
 * A test file's connection to the stack: connected before its tests, closed after them. Use it
 * at the top of the file (`const stack = useStack();`) instead of a beforeAll/afterAll pair.
 */
export function useStack(options: Parameters<typeof connectStack>[0] = {}): TestStack {
  let stack: TestStack | undefined;
  beforeAll(async () => {
    stack = await connectStack(options);
  });
  afterAll(async () => stack?.close());
  return setInBeforeAll(() => stack, 'the stack');
}

/** A stand-in for an object that a beforeAll hook makes: it reads `current()` on each use. */
export function setInBeforeAll<T extends object>(current: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      const value = current();
      if (!value) throw new Error(`${what} is made in beforeAll: use it inside a test or a hook`);
      return Reflect.get(value, property);
    },
  });
}

/** A signed-in driver (a user of their own) with a vehicle registered under a fresh plate. */
export async function registerDriver(stack: TestStack): Promise<{ id: string; headers: { authorization: string }; plate: string }> {
  const id = `driver-${randomUUID()}`;
  const headers = { authorization: `Bearer ${stack.token('user', id, `${id}@test.example`)}` };
  const plate = uniquePlate();
  const res = await stack.app.inject({ method: 'POST', url: '/vehicles', headers, payload: { plate, ownerName: 'Ayşe Yılmaz' } });
  if (res.statusCode !== 201) throw new Error(`POST /vehicles answered ${res.statusCode}: ${res.body}`);
  return { id, headers, plate };
}

/**
 * A random valid Turkish plate, of any of the registry's three formats (1 letter and 5 digits,
 * 2 letters and 4, 3 letters and 3; or the one `letters` asks for): about 1.5e9 of them, so
 * tests do not collide.
 */
export function uniquePlate(letters: 1 | 2 | 3 = randomInt(1, 4) as 1 | 2 | 3): string {
  const province = String(randomInt(1, 82)).padStart(2, '0');
  const serial = Array.from({ length: letters }, () => PLATE_LETTERS[randomInt(PLATE_LETTERS.length)]).join('');
  const digits = 6 - letters;
  return `${province}${serial}${randomInt(10 ** (digits - 1), 10 ** digits)}`;
}

/** Polls the saga's state (GET /sagas/:id) until `done` holds; returns that state. */
export async function waitForSaga(
  stack: TestStack,
  sagaId: string,
  done: (state: SagaState) => boolean,
  timeoutMs = 60_000,
): Promise<SagaState> {
  const deadline = Date.now() + timeoutMs;
  let last: SagaState | undefined;
  for (;;) {
    const res = await stack.app.inject({ method: 'GET', url: `/sagas/${sagaId}` });
    if (res.statusCode === 200) {
      last = res.json() as SagaState;
      if (done(last)) return last;
    }
    if (Date.now() > deadline) throw new Error(`saga ${sagaId} did not reach the expected state; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A saga's step by name (throws when the saga has no such step). */
export function stepOf(state: SagaState, name: string) {
  const step = state.steps.find((s) => s.name === name);
  if (!step) throw new Error(`saga ${state.sagaId} has no step ${name}: ${state.steps.map((s) => s.name).join(', ')}`);
  return step;
}

/** Creates a lot through the API. */
export async function createLot(stack: TestStack, body: Record<string, unknown> = {}) {
  const res = await stack.app.inject({ method: 'POST', url: '/lots', payload: { name: 'Test lot', capacity: 5, ...body } });
  if (res.statusCode !== 201) throw new Error(`POST /lots answered ${res.statusCode}: ${res.body}`);
  return res.json() as { id: string; capacity: number; gateTimeoutSeconds: number };
}

/** The lot's counts through the API. */
export async function lotCounts(stack: TestStack, lotId: string) {
  return (await stack.app.inject({ method: 'GET', url: `/lots/${lotId}` })).json() as { free: number; occupied: number; reserved: number };
}

/** Arms a fault switch in the domain layer through the API (the worker's next call to `point` fails). */
export async function armFault(stack: TestStack, point: string, match: string, times?: number, delayMs?: number) {
  const res = await stack.app.inject({ method: 'POST', url: '/admin/faults', payload: { point, match, ...(times && { times }), ...(delayMs && { delayMs }) } });
  if (res.statusCode !== 201) throw new Error(`arming ${point} answered ${res.statusCode}: ${res.body}`);
}

export async function disarmFault(stack: TestStack, point: string, match: string) {
  await stack.app.inject({ method: 'DELETE', url: `/admin/faults/${point}?match=${encodeURIComponent(match)}` });
}
