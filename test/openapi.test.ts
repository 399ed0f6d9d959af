import { Validator } from '@seriousme/openapi-schema-validator';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../client';
import { CLIENT_DIR, generateTypes } from '../client/generate';
import { connectStack, type TestStack } from './support/stack';

let stack: TestStack;
let baseUrl: string;
let document: { openapi: string; paths: Record<string, Record<string, unknown>>; components: { securitySchemes: Record<string, unknown> } };

beforeAll(async () => {
  stack = await connectStack();
  baseUrl = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  document = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(async () => stack?.close());

/** The API's routes as the document names them ("get /sagas/{id}"), less the document's own (/openapi.json, /docs). */
function routesOf(routeList: string[]): string[] {
  return [...new Set(routeList)]
    .filter((route) => !/ \/(openapi\.json|docs)(\/|$)/.test(route))
    .map((route) => {
      const [method, path] = route.split(' ') as [string, string];
      return `${method.toLowerCase()} ${path.replace(/:([A-Za-z]+)/g, '{$1}')}`;
    });
}

const operationsOf = (doc: typeof document) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes every route the API registered, and no other', () => {
    const registered = routesOf(stack.app.routeList);
    expect(registered.length).toBeGreaterThan(30);
    expect(operationsOf(document).sort()).toEqual(registered.sort());
  });

  it('gives every operation its responses and every guarded one its auth schemes', () => {
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['bearerAuth', 'deviceKey']);
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item)) as Array<{
      responses: Record<string, unknown>;
      security?: Array<Record<string, unknown>>;
    }>;
    for (const operation of operations) expect(Object.keys(operation.responses).some((code) => /^2/.test(code))).toBe(true);
    const entry = document.paths['/vehicle-entries']!['post'] as { security: Array<Record<string, unknown>> };
    expect(entry.security).toEqual([{ bearerAuth: [] }, { deviceKey: [] }]);
    const lots = document.paths['/lots']!['post'] as { security: Array<Record<string, unknown>> };
    expect(lots.security).toEqual([{ bearerAuth: [] }]);
  });

  it('is what the checked-in typed client was generated from (npm run client:generate)', async () => {
    const checkedIn = JSON.parse(await readFile(join(CLIENT_DIR, 'openapi.json'), 'utf8'));
    expect(checkedIn).toEqual(document);
    expect(await readFile(join(CLIENT_DIR, 'schema.ts'), 'utf8')).toBe(await generateTypes(document));
  });

  it('answers with the declared fields only', async () => {
    const api = createApiClient({ baseUrl, token: stack.token('admin') });
    const created = await api.POST('/users/register', { body: { email: `openapi-${Date.now()}@test.example`, password: 'a-long-password-1' } });
    expect(created.response.status).toBe(201);
    // The stored user has a password hash; the declared User has none, and nothing else leaks.
    expect(Object.keys(created.data!).sort()).toEqual(['createdAt', 'email', 'id', 'role', 'webhookUrl']);
  });
});

describe('the typed client', () => {
  it('creates and reads a lot through the API', async () => {
    const api = createApiClient({ baseUrl, token: stack.token('admin') });
    const created = await api.POST('/lots', { body: { name: 'Client lot', capacity: 4 } });
    expect(created.response.status).toBe(201);
    const lot = await api.GET('/lots/{id}', { params: { path: { id: created.data!.id } } });
    expect(lot.data).toMatchObject({ id: created.data!.id, name: 'Client lot', capacity: 4, free: 4, occupied: 0 });
  });

  it('gets the API errors typed', async () => {
    const anonymous = createApiClient({ baseUrl });
    const denied = await anonymous.POST('/lots', { body: { name: 'No', capacity: 1 } });
    expect(denied.response.status).toBe(401);
    expect(denied.error).toMatchObject({ error: 'Unauthorized' });
    const bad = await createApiClient({ baseUrl, token: stack.token('admin') }).POST('/lots', { body: { name: 'Bad', capacity: 0 } });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.fields?.map((f) => f.field)).toContain('capacity');
  });
});

describe('the docs page', () => {
  it('lists every operation when rendered in headless Chromium', async () => {
    const profile = await mkdtemp(join(tmpdir(), 'docs-chromium-'));
    try {
      const { stdout: html } = await promisify(execFile)(
        process.env.CHROMIUM_BIN ?? 'chromium',
        ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--virtual-time-budget=20000', '--dump-dom', `${baseUrl}/docs`],
        { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
      );
      // Swagger UI renders one block per operation: its method in the class, its path in data-path.
      const rendered = [...html.matchAll(/class="opblock opblock-(\w+)[^"]*"[\s\S]*?data-path="([^"]+)"/g)].map(([, method, path]) => `${method} ${path}`);
      expect(rendered.sort()).toEqual(operationsOf(document).sort());
      expect(html).toContain('Authorize'); // the auth schemes' dialog, to try calls with a token or a device key
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  }, 120_000);
});
