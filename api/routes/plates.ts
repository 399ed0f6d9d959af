import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';

export const plateRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { domains }) => {
  app.post(
    '/plates/blocklist',
    { onRequest: app.requireRole('admin'), schema: { body: z.object({ plate: z.string().min(1).max(20), reason: z.string().trim().min(1).max(500) }) } },
    async (request, reply) => reply.code(201).send(await domains.plates.blockPlate(request.body.plate, request.body.reason)),
  );

  app.delete(
    '/plates/blocklist/:plate',
    { onRequest: app.requireRole('admin'), schema: { params: z.object({ plate: z.string().min(1).max(20) }) } },
    async (request, reply) => {
      const removed = await domains.plates.unblockPlate(request.params.plate);
      if (!removed) return reply.code(404).send({ error: 'Not Found', message: `${request.params.plate} is not on the blocklist` });
      return reply.code(204).send();
    },
  );
};
