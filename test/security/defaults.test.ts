import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { DEV_DEFAULTS, parseSettings } from '../../config/settings';
import { testRateLimits, connectStack, testAuth, type TestStack } from '../support/stack';

// Issue 10: safe by default. A process started with nothing chosen must not run with the
// development secrets or the fault switches, and must not show operators' details to anyone.

let stack: TestStack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => stack?.close());

const REAL_SECRETS = { JWT_SECRET: 's'.repeat(40), DEVICE_KEYS: `gate-1:*:${'k'.repeat(32)}`, ADMIN_PASSWORD: 'a-real-admin-password' };

async function appWith(options: { faultsEnabled: boolean; metricsToken?: string }) {
  const logger = pino({ level: 'warn' }, pino.destination({ dest: join(inject('stack').dir, 'api-security.log'), sync: true }));
  return buildApp(
    { db: stack.db, domains: stack.domains, temporal: stack.temporal, sagas: stack.sagas, auth: testAuth(stack.domains), rateLimits: testRateLimits(), ...options },
    { loggerInstance: logger },
  );
}

describe('security: safe defaults', () => {
  it('no NODE_ENV: the development secrets are refused, and the fault switches are off', () => {
    expect(() => parseSettings({})).toThrow(/JWT_SECRET: the development default[\s\S]*DEVICE_KEYS: the development default[\s\S]*ADMIN_PASSWORD: the development default/);
    const settings = parseSettings(REAL_SECRETS);
    expect(settings).toMatchObject({ NODE_ENV: 'production', FAULTS_ENABLED: false });
    expect(() => parseSettings({ ...REAL_SECRETS, FAULTS_ENABLED: 'true' })).toThrow(/FAULTS_ENABLED: must be false/);
    // Development is a choice: then the defaults work and the switches are on.
    expect(parseSettings({ NODE_ENV: 'development' })).toMatchObject({ FAULTS_ENABLED: true, JWT_SECRET: DEV_DEFAULTS.JWT_SECRET });
    expect(parseSettings({ NODE_ENV: 'development', FAULTS_ENABLED: 'false' }).FAULTS_ENABLED).toBe(false);
  });

  it('an API process started with no NODE_ENV stops, naming the development secrets', () => {
    const { NODE_ENV: _, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
      env: { ...env, JWT_SECRET: '', DEVICE_KEYS: '', ADMIN_PASSWORD: '' } as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Invalid configuration/);
  });

  it('without fault switches, the routes that arm them do not exist', async () => {
    const app = await appWith({ faultsEnabled: false });
    const res = await app.inject({ method: 'POST', url: '/admin/faults', headers: { authorization: `Bearer ${stack.token('admin')}` }, payload: { point: 'parking.allocateSpace' } });
    expect(res.statusCode).toBe(404);
    expect(await stack.db.faultSwitch.count({ where: { point: 'parking.allocateSpace', match: '' } })).toBe(0);
    await app.close();
  });

  it('GET /health tells anyone only up or down', async () => {
    const app = await appWith({ faultsEnabled: false });
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(Object.keys(res.json())).toEqual(['status']);
    await app.close();
  });

  it('GET /metrics can be protected by a token', async () => {
    const token = 'm'.repeat(40);
    const app = await appWith({ faultsEnabled: false, metricsToken: token });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('http_requests_total');
    await app.close();
  });

  it('worker metrics listen on this machine only unless configured otherwise', () => {
    expect(parseSettings({ NODE_ENV: 'development' }).WORKER_METRICS_HOST).toBe('127.0.0.1');
    expect(() => parseSettings({ NODE_ENV: 'development', METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: at least 32 characters/);
  });
});
