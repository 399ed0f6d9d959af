import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { readWorkerSnapshots, type WorkerView } from '../worker-snapshots';

const instanceView = z.object({
  id: z.string(),
  url: z.string(),
  status: z.enum(['UP', 'DOWN', 'UNKNOWN']),
  inRotation: z.boolean(),
  joining: z.boolean(),
  weight: z.number(),
  maxConnections: z.number().nullable(),
  inFlight: z.number(),
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.string()),
});
const workerInstances = z.object({
  workerId: z.string(),
  updatedAt: z.string(),
  services: z.record(z.string(), z.object({ instances: z.array(instanceView), draining: z.array(z.string()) })),
});

/** One worker's registered instances, per service; draining: removed instances whose calls are still in flight. */
function instancesOf(worker: WorkerView): z.infer<typeof workerInstances> {
  const services = Object.entries(worker.snapshot.services).map(([name, service]) => [
    name,
    {
      instances: service.instances.map((i) => ({
        id: i.id,
        url: i.url,
        status: i.status,
        inRotation: i.inRotation,
        joining: i.joining ?? false,
        weight: i.weight,
        maxConnections: i.maxConnections ?? null,
        inFlight: i.inFlight ?? 0,
        tags: i.tags ?? [],
        metadata: i.metadata ?? {},
      })),
      draining: service.balancer.draining ?? [],
    },
  ]);
  return { workerId: worker.workerId, updatedAt: worker.updatedAt, services: Object.fromEntries(services) };
}

/**
 * The vendors' instances as each worker sees them now (registered, joining, in rotation,
 * draining). Instances are registered and removed by editing the services file the workers
 * watch (EXTERNAL_SERVICES_FILE): see docs/configuration.md.
 */
export const instanceRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  app.get(
    '/admin/instances',
    { onRequest: app.requireRole('admin'), schema: { response: { 200: z.object({ workers: z.array(workerInstances) }) } } },
    async () => ({ workers: (await readWorkerSnapshots(deps.db)).map(instancesOf) }),
  );
};
