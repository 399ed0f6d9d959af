import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseStepKey, reservationContract } from '../../workflows/contracts';
import type { AppDeps } from '../deps';
import { BusinessRejection, NotFoundError } from '../../domains';
import { badRequest } from '../plugins/error-handler';
import { reservationsPerUser } from '../plugins/rate-limits';
import { requestId, replyWithSaga, sagaReplies } from '../saga-reply';
import { errorReply, reservationStatus, reservationView, vehicleView } from '../schemas';

// The saga's input less the user, who is the caller, and the amount: the price comes from the
// lot's tariff (an amount sent anyway is dropped).
const newReservation = reservationContract.input.omit({ userId: true, amount: true }).extend({ requestId });

const newVehicle = z.object({ plate: z.string().min(1).max(20), ownerName: z.string().trim().min(1).max(200) });

/** Vehicles and parking reservations (seed 002 applied to parking). */
export const reservationRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { sagas, domains, rateLimits }) => {
  app.post('/vehicles', { onRequest: app.requireRole(), schema: { body: newVehicle, response: { 201: vehicleView } } }, async (request, reply) => {
    const vehicle = await domains.reservations.registerVehicle({ ...request.body, ownerUserId: request.user.sub });
    return reply.code(201).send(vehicle);
  });

  app.get('/vehicles/:plate', { onRequest: app.requireRole(), schema: { params: z.object({ plate: z.string().min(1).max(20) }), response: { 200: vehicleView, 404: errorReply } } }, async (request, reply) => {
    const vehicle = await domains.reservations.getVehicle(request.params.plate);
    if (vehicle.ownerUserId !== request.user.sub && request.user.role !== 'admin') {
      return reply.code(404).send({ error: 'Not Found', message: `vehicle ${request.params.plate} is not registered to you` });
    }
    return vehicle;
  });

  const sagaStarts = app.limitRate(reservationsPerUser(rateLimits.sagaStartsPerUser));
  app.post(
    '/reservations',
    { onRequest: app.requireRole(), preHandler: sagaStarts, schema: { body: newReservation, response: { ...sagaReplies(reservationContract), 400: errorReply } } },
    async (request, reply) => {
    const { requestId, ...body } = request.body;
    if (Date.parse(body.startsAt) >= Date.parse(body.endsAt)) {
      return reply.code(400).send(badRequest([{ field: 'endsAt', in: 'body', message: 'must be after startsAt' }]));
    }
    const lot = await domains.parking.getLot(body.lotId).catch((err: unknown) => {
      if (err instanceof NotFoundError) throw new BusinessRejection('LOT_NOT_FOUND', `lot ${body.lotId} does not exist`);
      throw err;
    });
    const { amount } = await domains.reservations.quote({ ...body, tariffPerHour: lot.tariffPerHour });
    const input = { ...body, amount, userId: request.user.sub };
    // The request id is scoped to the user: two users' "1" are two reservations.
    const started = await sagas.start(reservationContract, input, requestId ? { requestId: `${request.user.sub}-${requestId}` } : {});
    request.log.info({ sagaId: started.sagaId, status: started.state.status }, 'reservation saga answered');
    return replyWithSaga(reply, started, input, reservationContract);
    },
  );

  app.get('/reservations', { onRequest: app.requireRole(), schema: { response: { 200: z.object({ reservations: z.array(reservationView) }) } } }, async (request) => ({
    reservations: await domains.reservations.listReservations(request.user.sub),
  }));

  app.get('/reservations/:id', { onRequest: app.requireRole(), schema: { params: z.object({ id: z.string().min(1).max(100) }), response: { 200: reservationView } } }, async (request) =>
    domains.reservations.getReservation(request.params.id, request.user.sub),
  );

  /** Cancels a booked reservation: its saga refunds the payment and releases the space. */
  app.post(
    '/reservations/:id/cancel',
    {
      onRequest: app.requireRole(),
      schema: {
        params: z.object({ id: z.string().min(1).max(100) }),
        body: z.object({ reason: z.string().max(500).optional() }).nullish(),
        response: {
          202: z.object({ reservationId: z.string(), sagaId: z.string(), status: z.literal('CANCELLING'), cancellationFee: z.number().nullable() }),
          409: z.object({ reservationId: z.string().optional(), status: reservationStatus.optional(), reason: z.string(), message: z.string(), error: z.string().optional() }),
        },
      },
    },
    async (request, reply) => {
      const found = await domains.reservations.getReservation(request.params.id, request.user.sub);
      const sagaId = parseStepKey(found.key)!.sagaId; // the reservation is written under its saga's step key
      const state = await sagas.getState(sagaId);
      if (!state.awaiting.includes('compensate')) {
        return reply.code(409).send({
          reservationId: found.id,
          status: found.status,
          reason: 'NOT_CANCELLABLE',
          message: `the reservation is ${found.status} and can no longer be cancelled`,
        });
      }
      // The policy's fee is fixed now, when the driver asks; the saga's refund follows it.
      const { cancellationFee } = await domains.reservations.requestCancellation(found.id, request.user.sub);
      await sagas.signal(sagaId, 'compensate', { reason: request.body?.reason ?? 'cancelled by the driver', by: request.user.email });
      return reply.code(202).send({ reservationId: found.id, sagaId, status: 'CANCELLING', cancellationFee });
    },
  );
};
