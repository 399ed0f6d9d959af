import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExternalServicesConfig } from '../../config/external-services';
import { ResilienceRegistry } from '../../resilience/registry';
import { watchServicesFile } from '../../resilience/services-file-watch';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { capturingLogger } from './helpers';

describe('watchServicesFile: instances follow the services file without a restart', () => {
  let sims: RunningSimulator[];
  let dir: string;

  beforeAll(async () => {
    sims = await Promise.all([1, 2, 3].map((n) => startSimulator('anpr', { port: 0, name: `anpr-${n}` })));
    dir = await mkdtemp(join(tmpdir(), 'services-file-'));
  });
  afterAll(async () => {
    await Promise.all(sims.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  const fileWith = (ids: number[], extra: Record<string, unknown> = {}) => ({
    services: {
      anpr: {
        instances: ids.map((n) => ({ id: `anpr-${n}`, url: sims[n - 1]!.url, ...(n === 3 ? extra : {}) })),
        healthCheck: { intervalMs: 600_000, timeoutMs: 2_000, healthyThreshold: 1, unhealthyThreshold: 1 },
      },
    },
  });

  it('registers added instances, deregisters removed ones, and ignores a file that does not validate', async () => {
    const file = join(dir, 'services.json');
    await writeFile(file, JSON.stringify(fileWith([1, 2])));
    const { logger, lines } = capturingLogger();
    const registry = new ResilienceRegistry({ config: loadExternalServicesConfig({ EXTERNAL_SERVICES_FILE: file }), logger });
    const watch = watchServicesFile(file, registry, logger, 600_000);
    const ids = () => registry.service('anpr').instances().map((i) => i.id);
    try {
      expect(watch.poll()).toBeNull(); // unchanged

      await writeFile(file, JSON.stringify(fileWith([2, 3], { tags: ['new'], maxConnections: 5 })));
      expect(watch.poll()).toEqual({ added: ['anpr/anpr-3'], removed: ['anpr/anpr-1'], pending: [] });
      expect(ids()).toEqual(['anpr-2', 'anpr-3']);
      // The new instance joins after its health check, with its settings.
      expect(registry.service('anpr').balancer.healthyInstances().map((i) => i.id)).toEqual(['anpr-2']);
      await registry.checkHealthNow();
      expect(registry.service('anpr').balancer.healthyInstances().map((i) => i.id)).toEqual(['anpr-2', 'anpr-3']);
      expect(registry.snapshot().services.anpr!.instances.find((i) => i.id === 'anpr-3')).toMatchObject({ tags: ['new'], maxConnections: 5 });

      await writeFile(file, JSON.stringify({ services: { anpr: { instances: [{ id: 'anpr-9', url: 'not a url' }] } } }));
      expect(watch.poll()).toBeNull();
      expect(ids()).toEqual(['anpr-2', 'anpr-3']);
      expect(lines.find((l) => l.event === 'resilience.services_file_rejected')?.reason).toMatch(/url/);

      // Not JSON at all: rejected the same way.
      await writeFile(file, '{"services": ');
      expect(watch.poll()).toBeNull();
      expect(ids()).toEqual(['anpr-2', 'anpr-3']);

      // Same id, new settings: replaced.
      await writeFile(file, JSON.stringify(fileWith([2, 3], { maxConnections: 1 })));
      expect(watch.poll()).toEqual({ added: ['anpr/anpr-3'], removed: ['anpr/anpr-3'], pending: [] });
      expect(registry.service('anpr').instances().find((i) => i.id === 'anpr-3')?.maxConnections).toBe(1);
    } finally {
      watch.stop();
    }
  });

  it('names services it cannot add or remove without a restart', async () => {
    const file = join(dir, 'services-2.json');
    await writeFile(file, JSON.stringify(fileWith([1])));
    const { logger } = capturingLogger();
    const registry = new ResilienceRegistry({ config: loadExternalServicesConfig({ EXTERNAL_SERVICES_FILE: file }), logger });
    const watch = watchServicesFile(file, registry, logger, 600_000);
    try {
      await writeFile(file, JSON.stringify({ services: { other: fileWith([1]).services.anpr } }));
      expect(watch.poll()?.pending).toEqual(['other: a new service needs a restart', 'anpr: removing a service needs a restart']);
      expect(registry.service('anpr').instances().map((i) => i.id)).toEqual(['anpr-1']);
    } finally {
      watch.stop();
    }
  });
});
