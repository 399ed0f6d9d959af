import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BusinessRejection, NotFoundError } from '../../domains';
import { changeReservationUpdate, parseStepKey, reservationChange } from '../../workflows/contracts';
import { SagaUpdateRefusedError } from '../../temporal/saga-client';
import type { AppDeps } from '../deps';
import { badRequest } from '../plugins/error-handler';
import { reservationsPerUser } from '../plugins/rate-limits';
import { errorReply, reservationStatus, reservationView } from '../schemas';

/** The new period, and the lot when it changes too (the reservation's own by default). */
const changeBody = reservationChange.pick({ lotId: true, startsAt: true, endsAt: true }).partial({ lotId: true });

const refusalReply = z.object({ reservationId: z.string(), status: reservationStatus, reason: z.string(), message: z.string() });

/**
 * Changes a booked reservation (seed 002's update): its saga's changeReservation update holds
 * the new space, moves the payment by the price difference and releases the old hold, all or
 * nothing. Checked here first, as a booking is: the period rules, the lot and its tariff, the
 * caller (the owner, an operator or an admin; another user's reservation does not exist).
 */
export const reservationChangeRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { sagas, domains, rateLimits }) => {
  const changes = app.limitRate(reservationsPerUser(rateLimits.sagaStartsPerUser));
  app.patch(
    '/reservations/:id',
    {
      onRequest: app.requireRole(),
      preHandler: changes,
      schema: {
        params: z.object({ id: z.string().min(1).max(100) }),
        body: changeBody,
        response: { 200: reservationView, 400: errorReply, 404: errorReply, 409: refusalReply.or(errorReply) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const staff = request.user.role === 'operator' || request.user.role === 'admin';
      const found = staff ? await domains.reservations.loadReservation(id) : await domains.reservations.getReservation(id, request.user.sub);
      const { startsAt, endsAt } = request.body;
      const lotId = request.body.lotId ?? found.lotId;
      if (Date.parse(startsAt) >= Date.parse(endsAt)) {
        return reply.code(400).send(badRequest([{ field: 'endsAt', in: 'body', message: 'must be after startsAt' }]));
      }
      const lot = await domains.parking.getLot(lotId).catch((err: unknown) => {
        if (err instanceof NotFoundError) throw new BusinessRejection('LOT_NOT_FOUND', `lot ${lotId} does not exist`);
        throw err;
      });
      const { amount } = domains.reservations.quoteChange({ startsAt, endsAt, tariffPerHour: lot.tariffPerHour });
      const refuse = (reason: string, message: string) => reply.code(409).send({ reservationId: found.id, status: found.status, reason, message });
      if (found.status !== 'COMPLETED') return refuse('NOT_CHANGEABLE', `the reservation is ${found.status} and can no longer be changed`);
      const sagaId = parseStepKey(found.key)!.sagaId; // the reservation is written under its saga's step key
      try {
        const changed = await sagas.update(sagaId, changeReservationUpdate, { lotId, startsAt, endsAt, amount, by: request.user.email });
        request.log.info({ sagaId, reservationId: found.id, lotId, amount }, 'reservation changed');
        return changed;
      } catch (err) {
        if (!(err instanceof SagaUpdateRefusedError)) throw err;
        const now = await domains.reservations.loadReservation(found.id);
        return reply.code(409).send({ reservationId: found.id, status: now.status, reason: err.reason, message: err.message });
      }
    },
  );
};
