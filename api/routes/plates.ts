import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { blockedPlateView, errorReply, noContent } from '../schemas';

export const plateRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { domains }) => {
  app.post(
    '/plates/blocklist',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        body: z.object({ plate: z.string().min(1).max(20), reason: z.string().trim().min(1).max(500) }),
        response: { 201: blockedPlateView },
      },
    },
    async (request, reply) => {
      const { plate, reason, createdAt } = await domains.plates.blockPlate(request.body.plate, request.body.reason);
      return reply.code(201).send({ plate, reason, createdAt: createdAt.toISOString() });
    },
  );

  app.delete(
    '/plates/blocklist/:plate',
    {
      onRequest: app.requireRole('admin'),
      schema: { params: z.object({ plate: z.string().min(1).max(20) }), response: { 204: noContent, 404: errorReply } },
    },
    async (request, reply) => {
      const removed = await domains.plates.unblockPlate(request.params.plate);
      if (!removed) return reply.code(404).send({ error: 'Not Found', message: `${request.params.plate} is not on the blocklist` });
      return reply.code(204).send(null);
    },
  );
};
