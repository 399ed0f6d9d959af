import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { lotView } from '../schemas';

const newLot = z.object({
  name: z.string().trim().min(1).max(100),
  capacity: z.number().int().min(1).max(10_000),
  requireGateConfirmation: z.boolean().optional(),
  gateTimeoutSeconds: z.number().int().min(1).max(86_400).optional(),
  tariffPerHour: z.number().int().min(1).max(1_000_000).nullish(),
});

/** The lot's reservation price per started hour (whole units); null: the lot takes no reservations. */
const tariff = z.object({ tariffPerHour: z.number().int().min(1).max(1_000_000).nullable() });

export const lotRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { domains }) => {
  app.post('/lots', { onRequest: app.requireRole('admin'), schema: { body: newLot, response: { 201: lotView } } }, async (request, reply) => {
    return reply.code(201).send(await domains.parking.createLot(request.body));
  });

  app.put(
    '/lots/:id/tariff',
    { onRequest: app.requireRole('admin'), schema: { params: z.object({ id: z.string().min(1).max(100) }), body: tariff, response: { 200: lotView } } },
    async (request) => domains.parking.setTariff(request.params.id, request.body.tariffPerHour),
  );

  app.get('/lots/:id', { schema: { params: z.object({ id: z.string().min(1).max(100) }), response: { 200: lotView } } }, async (request) => {
    return domains.parking.getLot(request.params.id);
  });
};
