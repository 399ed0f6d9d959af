import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEV_DEFAULTS, parseSettings } from '../config/settings';

describe('configuration', () => {
  it('uses the development defaults when development is chosen', () => {
    const settings = parseSettings({ NODE_ENV: 'development' });
    expect(settings).toMatchObject({ PORT: 3000, TEMPORAL_ADDRESS: '127.0.0.1:7233', DATABASE_URL: 'file:./data/dev.db', DEVICE_KEYS: [{ name: 'device-1', lots: '*', key: DEV_DEFAULTS.DEVICE_KEYS, legacy: true }] });
  });

  it('names every bad setting in one error', () => {
    let message = '';
    try {
      parseSettings({ NODE_ENV: 'development', PORT: 'http', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', JWT_SECRET: 'short' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration:/);
    expect(message).toMatch(/PORT: /);
    expect(message).toMatch(/DATABASE_URL: must be a file: \(SQLite\) or postgres:\/\/ URL/);
    expect(message).toMatch(/LOG_LEVEL: /);
    expect(message).toMatch(/JWT_SECRET: at least 32 bytes/);
  });

  it('refuses to run in production with a development secret or fault switches', () => {
    const production = { NODE_ENV: 'production', FAULTS_ENABLED: 'false', JWT_SECRET: 'a-real-secret-of-32-characters!!', DEVICE_KEYS: 'gate-a1:*:a-gate-key-of-at-least-32-characters', ADMIN_PASSWORD: 'a-real-admin-password' };
    expect(parseSettings(production).NODE_ENV).toBe('production');
    expect(() => parseSettings({ ...production, JWT_SECRET: DEV_DEFAULTS.JWT_SECRET })).toThrow(/JWT_SECRET: the development default/);
    expect(() => parseSettings({ ...production, ADMIN_PASSWORD: undefined })).toThrow(/ADMIN_PASSWORD: the development default/);
    expect(() => parseSettings({ ...production, DEVICE_KEYS: undefined })).toThrow(/DEVICE_KEYS: the development default/);
    expect(() => parseSettings({ ...production, FAULTS_ENABLED: 'true' })).toThrow(/FAULTS_ENABLED: must be false in production/);
  });

  it('a process with a bad setting stops at once with a message that names it', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
      env: { ...process.env, PORT: 'not-a-port' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Invalid configuration:\s+PORT:/);
  });
});
