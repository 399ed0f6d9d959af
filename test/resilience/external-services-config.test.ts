import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BREAKER_DEFAULTS,
  defaultExternalServicesConfig,
  loadExternalServicesConfig,
  parseExternalServicesConfig,
} from '../../config/external-services';

const dir = mkdtempSync(join(tmpdir(), 'ext-services-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('external services config', () => {
  it('defaults to anpr/payment with their backups on local simulator ports', () => {
    const config = loadExternalServicesConfig({});
    expect(Object.keys(config.services)).toEqual(['anpr', 'anpr-backup', 'payment', 'payment-backup']);
    expect(config.services.anpr).toMatchObject({
      instances: [
        { id: 'anpr-1', url: 'http://127.0.0.1:4101', weight: 1 },
        { id: 'anpr-2', url: 'http://127.0.0.1:4102', weight: 1 },
      ],
      healthPath: '/health',
      balancer: 'round_robin',
      alternatives: ['anpr-backup'],
      breaker: BREAKER_DEFAULTS,
    });
    expect(config.services['anpr-backup']!.instances).toEqual([{ id: 'anpr-backup-1', url: 'http://127.0.0.1:4103', weight: 1, tags: [], metadata: {} }]);
    expect(config.services.payment!.alternatives).toEqual(['payment-backup']);
    expect(config.services['payment-backup']!.instances[0]!.url).toBe('http://127.0.0.1:4203');
    expect(config.services.payment!.breaker).toEqual({
      slidingWindowSize: 100,
      minimumNumberOfCalls: 10,
      failureRateThreshold: 50,
      waitDurationInOpenState: 60_000,
      permittedNumberOfCallsInHalfOpenState: 10,
    });
    expect(config.cache.ttlSeconds).toBe(300);
  });

  it('takes instance URLs from the environment', () => {
    const config = defaultExternalServicesConfig({ ANPR_URLS: ' http://anpr-a:80 , http://anpr-b:80,, ', PAYMENT_BACKUP_URLS: 'https://pay.example' });
    expect(config.services.anpr!.instances.map((i) => i.url)).toEqual(['http://anpr-a:80', 'http://anpr-b:80']);
    expect(config.services['payment-backup']!.instances.map((i) => i.id)).toEqual(['payment-backup-1']);
  });

  it('names the variable holding a bad URL', () => {
    expect(() => defaultExternalServicesConfig({ ANPR_URLS: 'ftp://x' })).toThrow(/ANPR_URLS/);
    expect(() => defaultExternalServicesConfig({ PAYMENT_URLS: 'not a url' })).toThrow(/PAYMENT_URLS/);
  });

  it('reads EXTERNAL_SERVICES_FILE and fills omitted fields with defaults', () => {
    const file = join(dir, 'services.json');
    writeFileSync(
      file,
      JSON.stringify({
        services: {
          anpr: { instances: [{ id: 'x', url: 'http://x:1', weight: 3 }], balancer: 'weighted', breaker: { minimumNumberOfCalls: 2 } },
        },
        cache: { ttlSeconds: 5 },
      }),
    );
    const config = loadExternalServicesConfig({ EXTERNAL_SERVICES_FILE: file });
    expect(config.services.anpr).toMatchObject({
      instances: [{ id: 'x', url: 'http://x:1', weight: 3 }],
      balancer: 'weighted',
      timeoutMs: 2000,
      alternatives: [],
      breaker: { ...BREAKER_DEFAULTS, minimumNumberOfCalls: 2 },
      healthCheck: { intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 3 },
    });
    expect(config.cache.ttlSeconds).toBe(5);
  });

  it('throws an error naming each bad field', () => {
    const bad = {
      services: {
        anpr: {
          instances: [{ id: 'a', url: 'http://a' }, { id: 'a', url: 'http://b' }],
          balancer: 'fastest',
          breaker: { failureRateThreshold: 150 },
          alternatives: ['ghost'],
        },
      },
    };
    let message = '';
    try {
      parseExternalServicesConfig(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/services\.anpr\.balancer/);
    expect(message).toMatch(/services\.anpr\.breaker\.failureRateThreshold/);
    expect(message).toMatch(/services\.anpr\.instances\.1\.id: duplicate/);
    expect(() => parseExternalServicesConfig({ services: { anpr: { instances: [{ id: 'a', url: 'http://a' }], alternatives: ['ghost'] } } })).toThrow(
      /services\.anpr\.alternatives\.0: unknown service "ghost"/,
    );
    expect(() => parseExternalServicesConfig({ services: { anpr: { instances: [] } } })).toThrow(/services\.anpr\.instances/);
    expect(() => parseExternalServicesConfig({ services: { anpr: { instances: [{ id: 'a', url: 'mailto:x@y' }] } } })).toThrow(
      /services\.anpr\.instances\.0\.url/,
    );
  });

  it('names EXTERNAL_SERVICES_FILE when the file cannot be read', () => {
    expect(() => loadExternalServicesConfig({ EXTERNAL_SERVICES_FILE: join(dir, 'missing.json') })).toThrow(/EXTERNAL_SERVICES_FILE/);
  });
});
