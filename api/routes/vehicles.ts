import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { vehicleEntryContract, vehicleExitContract } from '../../workflows/contracts';
import { isValidPlate, normalizePlate } from '../../domains/plates';
import type { AppDeps } from '../deps';
import { Cursors, pageReply, pagedQuery } from '../pagination';
import { requestId, replyWithSaga, sagaReplies } from '../saga-reply';
import { page, vehicleView } from '../schemas';

// The saga's input as its contract says (the shape only: the plate rules are the plate domain's, a 409 INVALID_PLATE).
const entryBody = vehicleEntryContract.input.extend({ requestId });
const exitBody = vehicleExitContract.input.extend({ requestId });

// Stored plates (the block switch acts on a registered vehicle): a malformed one is bad input.
const platePath = z.object({
  plate: z.string().max(20).transform(normalizePlate).pipe(z.string().refine(isValidPlate, 'not a valid plate')),
});

export const vehicleRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { sagas, domains, auth }) => {
  // A gate device acts only at the lots its key names (DEVICE_KEYS).
  const atItsLot = async (request: FastifyRequest, reply: FastifyReply) => {
    const { lotId } = request.body as { lotId: string };
    if (!app.mayActAtLot(request, lotId)) {
      await reply.code(403).send({ error: 'Forbidden', message: `device ${request.device?.name} may not act at lot ${lotId}` });
    }
  };

  app.post(
    '/vehicle-entries',
    { onRequest: app.requireDeviceOr('operator', 'admin'), preHandler: atItsLot, schema: { body: entryBody, response: sagaReplies(vehicleEntryContract) } },
    async (request, reply) => {
      const { requestId, ...input } = request.body;
      const started = await sagas.start(vehicleEntryContract, input, { requestId });
      request.log.info({ sagaId: started.sagaId, status: started.state.status }, 'vehicle entry saga answered');
      return replyWithSaga(reply, started, input, vehicleEntryContract);
    },
  );

  app.post(
    '/vehicle-exits',
    { onRequest: app.requireDeviceOr('operator', 'admin'), preHandler: atItsLot, schema: { body: exitBody, response: sagaReplies(vehicleExitContract) } },
    async (request, reply) => {
      const { requestId, ...input } = request.body;
      const started = await sagas.start(vehicleExitContract, input, { requestId });
      request.log.info({ sagaId: started.sagaId, status: started.state.status }, 'vehicle exit saga answered');
      return replyWithSaga(reply, started, input, vehicleExitContract);
    },
  );

  const cursors = new Cursors(auth.secret);

  /** The caller's registered vehicles, newest first, paged; every role sees only its own here. */
  app.get('/vehicles', { onRequest: app.requireRole(), schema: { querystring: pagedQuery('vehicles/mine', {}, cursors), response: { 200: page('vehicles', vehicleView) } } }, async (request) => {
    const { scope, ...page } = request.query;
    return pageReply('vehicles', await domains.reservations.listVehicles(request.user.sub, page), cursors, scope);
  });

  /**
   * Admin: blocks a registered vehicle. It goes on the plate blocklist, which the entry saga's and
   * the reservation saga's first steps check (PLATE_BLOCKED), and the vehicle is marked blocked,
   * which shows on it and which createReservation checks too. Blocklist first: once that write is
   * done the vehicle can neither book nor enter; a failure before the flag is mended by repeating.
   */
  app.post(
    '/vehicles/:plate/block',
    {
      onRequest: app.requireRole('admin'),
      schema: { params: platePath, body: z.object({ reason: z.string().trim().min(1).max(500) }), response: { 200: vehicleView } },
    },
    async (request) => {
      const { plate } = await domains.reservations.getVehicle(request.params.plate); // 404 when not registered
      await domains.plates.blockPlate(plate, request.body.reason);
      return domains.reservations.setVehicleBlocked(plate, true);
    },
  );

  /**
   * Admin: unblocks it, whoever blocked the plate (this route or POST /plates/blocklist): after it,
   * the vehicle can book and enter again. Idempotent. The blocklist entry goes last, so until the
   * end the vehicle stays refused at the gate and at booking.
   */
  app.delete('/vehicles/:plate/block', { onRequest: app.requireRole('admin'), schema: { params: platePath, response: { 200: vehicleView } } }, async (request) => {
    const { plate } = await domains.reservations.getVehicle(request.params.plate);
    const vehicle = await domains.reservations.setVehicleBlocked(plate, false);
    await domains.plates.unblockPlate(plate);
    return vehicle;
  });
};
