import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { armedFault, noContent } from '../schemas';

// `<domain>.<operation>` trips before the operation writes, `<domain>.<operation>.after` once its writes are committed.
const point = z.string().regex(/^[a-zA-Z]+\.[a-zA-Z]+(\.after)?$/, 'a fault point such as parking.releaseAllocation or parking.releaseAllocation.after');

/** Fault switches for demos and tests: arm a domain operation to fail, slow down or kill its worker (development only). */
export const faultRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { domains }) => {
  app.get('/admin/faults', { onRequest: app.requireRole('admin'), schema: { response: { 200: z.object({ faults: z.array(armedFault) }) } } }, async () => ({ faults: await domains.faults.list() }));

  app.post(
    '/admin/faults',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        body: z.object({
          point,
          match: z.string().min(1).max(200).optional(),
          times: z.number().int().min(1).max(1_000_000).optional(),
          delayMs: z.number().int().min(1).max(600_000).optional(),
          kill: z.boolean().optional(),
          hold: z.boolean().optional(),
          message: z.string().max(200).optional(),
        }),
        response: { 201: armedFault.omit({ message: true }) },
      },
    },
    async (request, reply) => {
      await domains.faults.arm(request.body.point, request.body);
      const { point: armed, match = '', times, delayMs, kill = false, hold = false } = request.body;
      return reply.code(201).send({ point: armed, match, remaining: hold ? 0 : (times ?? null), delayMs: delayMs ?? null, kill, hold });
    },
  );

  app.delete(
    '/admin/faults/:point',
    {
      onRequest: app.requireRole('admin'),
      schema: { params: z.object({ point }), querystring: z.object({ match: z.string().max(200).optional() }), response: { 204: noContent } },
    },
    async (request, reply) => {
    await domains.faults.disarm(request.params.point, request.query.match);
    return reply.code(204).send(null);
    },
  );
};
