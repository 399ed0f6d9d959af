import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pingDb } from '../../db/client';
import { pingTemporal } from '../../temporal/connection';
import type { AppDeps } from '../deps';
import { readWorkerSnapshots, summariseExternalServices } from '../worker-snapshots';

type Status = 'UP' | 'DOWN';

/** Runs a check with a deadline, so that a hung dependency reads as DOWN instead of hanging /health. */
async function check(run: () => Promise<unknown>, timeoutMs = 2000): Promise<{ status: Status; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'UP' };
  } catch (err) {
    return { status: 'DOWN', error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export const healthRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  app.get('/health', async (_request, reply) => {
    const [temporal, database] = await Promise.all([check(() => pingTemporal(deps.temporal)), check(() => pingDb(deps.db))]);
    const checks = { temporal, database };
    const status: Status = Object.values(checks).every((c) => c.status === 'UP') ? 'UP' : 'DOWN';
    // External vendors degrade sagas (fallbacks answer) but do not make the platform DOWN.
    const workers = database.status === 'UP' ? await readWorkerSnapshots(deps.db).catch(() => []) : [];
    return reply
      .code(status === 'UP' ? 200 : 503)
      .send({ status, checks, workers: workers.length, externalServices: summariseExternalServices(workers) });
  });

  /** Every worker's breakers, balancer choices, cache hits and fallbacks, as they last published them. */
  app.get('/resilience', { onRequest: app.requireRole('operator', 'admin') }, async () => ({ workers: await readWorkerSnapshots(deps.db) }));
};
