import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { normalizePlate } from '../../domains/plates';
import { SAGA_TYPES, type SagaType } from '../../temporal/saga-client';
import { FINAL_STATUSES, type SagaStatus } from '../../workflows/saga';
import type { AppDeps } from '../deps';

const SAGA_STATUSES = ['RUNNING', 'COMPLETED', 'COMPENSATING', 'COMPENSATED', 'REJECTED', 'NEEDS_ATTENTION', 'FAILED'] as const;
const SIGNALS = ['gatePassed', 'compensate', 'retryStep', 'retryCompensation', 'skipCompensation'] as const;
const ID = /^[A-Za-z0-9_-]{1,100}$/;
const sagaId = z.string().regex(/^[A-Za-z0-9._:-]{1,150}$/, 'not a saga id');

const listQuery = z.object({
  type: z.enum(Object.keys(SAGA_TYPES) as [SagaType, ...SagaType[]]).optional(),
  status: z.enum(SAGA_STATUSES).optional(),
  plate: z
    .string()
    .max(20)
    .transform(normalizePlate)
    .pipe(z.string().regex(/^[A-Z0-9]{1,20}$/, 'letters and digits only'))
    .optional(),
  lotId: z.string().regex(ID, 'not an id').optional(),
  userId: z.string().regex(ID, 'not an id').optional(),
  orderId: z.string().regex(ID, 'not an id').optional(),
  reservationId: z.string().regex(ID, 'not an id').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const signalBody = z
  .object({ reason: z.string().max(1000).optional(), by: z.string().max(200).optional() })
  .nullish()
  .transform((b) => b ?? {});

export const sagaRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { sagas }) => {
  app.get('/sagas', { onRequest: app.requireRole('operator', 'admin'), schema: { querystring: listQuery } }, async (request) => {
    const { type, status, limit, plate, lotId, userId, orderId, reservationId } = request.query;
    const keys = { Plate: plate, LotId: lotId, UserId: userId, OrderId: orderId, ReservationId: reservationId };
    return { sagas: await sagas.list({ type, status, limit, keys }) };
  });

  app.get('/sagas/:id', { onRequest: app.requireRole('operator', 'admin'), schema: { params: z.object({ id: sagaId }) } }, async (request) => {
    return sagas.getState(request.params.id);
  });

  app.post(
    '/sagas/:id/signals/:name',
    {
      // Gate devices send gatePassed; every other signal is an operator's.
      onRequest: app.requireDeviceOr('operator', 'admin'),
      schema: { params: z.object({ id: sagaId, name: z.enum(SIGNALS) }), body: signalBody },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      if (request.device && name !== 'gatePassed') {
        return reply.code(403).send({ error: 'Forbidden', message: 'gate devices may only send gatePassed' });
      }
      // The audit trail names who acted: the token's email, or the device's configured name (never a label it sends).
      const reason = request.body.reason?.trim();
      const body = { ...(reason && { reason }), by: request.actor };
      // Every operator action says why (a device's gatePassed is the gate's own report).
      if (!request.device && !reason) {
        return reply.code(400).send({
          error: 'Bad Request',
          message: `body.reason: ${name} by an operator needs a reason`,
          fields: [{ field: 'reason', in: 'body', message: `${name} by an operator needs a reason` }],
        });
      }
      const state = await sagas.getState(id);
      if (!app.mayActAtLot(request, state.keys['LotId'])) {
        return reply.code(403).send({ error: 'Forbidden', message: `device ${request.device?.name} may not act at lot ${state.keys['LotId']}` });
      }
      if (FINAL_STATUSES.includes(state.status as SagaStatus)) {
        return reply.code(409).send({ sagaId: id, status: state.status, reason: 'SAGA_ENDED', message: 'the saga has ended' });
      }
      if (!state.awaiting.includes(name)) {
        return reply.code(409).send({
          sagaId: id,
          status: state.status,
          reason: 'SIGNAL_NOT_AWAITED',
          message: `the saga does not take ${name} now`,
          awaiting: state.awaiting,
        });
      }
      await sagas.signal(id, name, body);
      request.log.info({ sagaId: id, signal: name, reason: body.reason }, 'signal sent');
      return reply.code(202).send({ sagaId: id, signal: name, accepted: true });
    },
  );
};
