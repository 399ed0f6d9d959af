import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { lotView } from '../schemas';

const newLot = z.object({
  name: z.string().trim().min(1).max(100),
  capacity: z.number().int().min(1).max(10_000),
  requireGateConfirmation: z.boolean().optional(),
  gateTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
});

export const lotRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { domains }) => {
  app.post('/lots', { onRequest: app.requireRole('admin'), schema: { body: newLot, response: { 201: lotView } } }, async (request, reply) => {
    return reply.code(201).send(await domains.parking.createLot(request.body));
  });

  app.get('/lots/:id', { schema: { params: z.object({ id: z.string().min(1).max(100) }), response: { 200: lotView } } }, async (request) => {
    return domains.parking.getLot(request.params.id);
  });
};
