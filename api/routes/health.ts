import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { httpStatus, runHealthChecks, type HealthReport } from '../health/report';
import { readWorkerSnapshots } from '../worker-snapshots';

/**
 * Whether the caller may see the checks' details (errors, vendor URLs, worker identities):
 * operators and admins, whose token passes the auth plugin's whole check (a token of an account
 * whose role or password changed since is refused, as on every guarded route). Without a token the
 * caller (a load balancer, a probe) gets the overall status only; a token that does not pass is
 * refused (401) rather than quietly answered with less than its holder asked for.
 */
async function seesDetails(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (request.headers.authorization === undefined) return false;
  if (!(await app.authenticate(request, reply))) return false;
  return request.user.role === 'operator' || request.user.role === 'admin';
}

const healthStatus = z.enum(['UP', 'DOWN', 'UNKNOWN']);
// The checks' details (pollers, vendors' instances) are diagnostics for operators: kept as each check reports them.
const check = z.looseObject({ status: healthStatus, checkedAt: z.string(), durationMs: z.number(), error: z.string().optional() });
// Anonymous callers get the status alone; operators and admins every check and the vendors too.
const healthReply = z.object({
  status: healthStatus,
  checks: z.object({ temporal: check, database: check, workers: check }).optional(),
  externalServices: check.optional(),
});
const statusOnly = z.object({ status: healthStatus });
const workerView = z.object({ workerId: z.string(), updatedAt: z.string(), snapshot: z.looseObject({}) });

export const healthRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  // Callers at the same moment share one run: /health is public, and each run asks Temporal and the database.
  let running: Promise<HealthReport> | undefined;
  const report = () =>
    (running ??= runHealthChecks(deps).finally(() => {
      running = undefined;
    }));

  app.get('/health', { schema: { response: { 200: healthReply, 503: healthReply } } }, async (request, reply) => {
    const details = await seesDetails(app, request, reply);
    if (reply.sent) return reply;
    const health = await report();
    reply.code(httpStatus(health.status)).header('cache-control', 'no-store');
    // The checks' details are open-ended (see `check`): the serializer checks the declared part.
    return (details ? health : { status: health.status }) as z.input<typeof healthReply>;
  });

  // Liveness: the process answers. Never asks a dependency, so that an orchestrator restarts
  // the process only when it is stuck itself, not when Temporal or the database is away.
  app.get('/health/live', { schema: { response: { 200: statusOnly } } }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'UP' as const };
  });

  // Readiness: /health's overall status (Temporal and the database reachable, a worker polling).
  app.get('/health/ready', { schema: { response: { 200: statusOnly, 503: statusOnly } } }, async (_request, reply) => {
    const health = await report();
    reply.code(httpStatus(health.status)).header('cache-control', 'no-store');
    return { status: health.status };
  });

  /** Every worker's breakers, balancer choices, cache hits and fallbacks, as they last published them. */
  app.get('/resilience', { onRequest: app.requireRole('operator', 'admin'), schema: { response: { 200: z.object({ workers: z.array(workerView) }) } } }, async () => ({
    // A snapshot is the worker's own report: passed on whole.
    workers: (await readWorkerSnapshots(deps.db)).map((w) => ({ ...w, snapshot: w.snapshot as unknown as Record<string, unknown> })),
  }));
};
