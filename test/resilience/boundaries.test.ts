import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../resilience');
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));

describe('resilience layer boundaries', () => {
  it.each(files)('%s imports neither Temporal nor Fastify', (file) => {
    const source = readFileSync(join(dir, file), 'utf8');
    const imports = [...source.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
    expect(imports.filter((i) => i!.startsWith('@temporalio/') || i === 'fastify' || i!.startsWith('fastify-'))).toEqual([]);
  });

  it('index re-exports the public API by name', async () => {
    const api = await import('../../resilience');
    for (const name of [
      'CircuitBreaker',
      'BrokenCircuitError',
      'FailureRateRule',
      'CacheFallback',
      'createMemoryCacheStore',
      'createPrismaCacheStore',
      'LoadBalancer',
      'NoHealthyInstanceError',
      'HealthChecker',
      'aggregateStatus',
      'AlternativeService',
      'ExternalServiceRejection',
      'isBusinessError',
      'ExternalService',
      'wrap',
      'runRequest',
      'withCancellation',
      'ResilienceRegistry',
    ]) {
      expect(api, name).toHaveProperty(name);
    }
  });
});
