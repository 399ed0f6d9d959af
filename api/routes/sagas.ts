import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { normalizePlate } from '../../domains/plates';
import { API_SIGNALS, DEVICE_SIGNALS, FINAL_STATUSES, SAGA_TYPES, operatorInput, sagaId, sagaState, sagaStatus } from '../../workflows/contracts';
import type { AppDeps } from '../deps';
import { ERROR_REPLIES } from '../schemas';

const ID = /^[A-Za-z0-9_-]{1,100}$/;

const listQuery = z.object({
  type: z.enum(SAGA_TYPES).optional(),
  status: sagaStatus.optional(),
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

const sagaSummary = z
  .object({
    sagaId: z.string(),
    type: z.string().optional(),
    status: z.string().optional(),
    /** Business keys the saga carries (Plate, LotId, UserId, OrderId, ReservationId). */
    keys: z.record(z.string(), z.string()),
    workflowStatus: z.string(),
    startedAt: z.string(),
    closedAt: z.string().optional(),
  })
  .meta({ id: 'SagaSummary' });

const signalBody = operatorInput.nullish().transform((b) => b ?? {});
const sagaReply = sagaState
  .extend({
    /** The saga's page in the Temporal Web UI: its summary, current details, history and signals. */
    webUiUrl: z.string(),
  })
  .meta({ id: 'SagaState' });

const signalRefused = z.object({
  sagaId: z.string(),
  status: z.string(),
  reason: z.enum(['SAGA_ENDED', 'SIGNAL_NOT_AWAITED']),
  message: z.string(),
  awaiting: z.array(z.string()).optional(),
});

export const sagaRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { sagas }) => {
  app.get(
    '/sagas',
    { onRequest: app.requireRole('operator', 'admin'), schema: { querystring: listQuery, response: { 200: z.object({ sagas: z.array(sagaSummary) }) } } },
    async (request) => {
      const { type, status, limit, plate, lotId, userId, orderId, reservationId } = request.query;
      const keys = { Plate: plate, LotId: lotId, UserId: userId, OrderId: orderId, ReservationId: reservationId };
      return { sagas: await sagas.list({ type, status, limit, keys }) };
    },
  );

  app.get(
    '/sagas/:id',
    { onRequest: app.requireRole('operator', 'admin'), schema: { params: z.object({ id: sagaId }), response: { 200: sagaReply } } },
    async (request) => ({ ...(await sagas.getState(request.params.id)), webUiUrl: sagas.webUiLink(request.params.id) }),
  );

  app.post(
    '/sagas/:id/signals/:name',
    {
      // Gate devices send their sagas' device signals (gatePassed); every other signal is an operator's.
      onRequest: app.requireDeviceOr('operator', 'admin'),
      schema: {
        params: z.object({ id: sagaId, name: z.enum(API_SIGNALS) }),
        body: signalBody,
        response: {
          202: z.object({ sagaId: z.string(), signal: z.enum(API_SIGNALS), accepted: z.literal(true) }),
          400: ERROR_REPLIES[400],
          403: ERROR_REPLIES[403],
          409: signalRefused,
        },
      },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      if (request.device && !DEVICE_SIGNALS.includes(name)) {
        return reply.code(403).send({ error: 'Forbidden', message: `gate devices may only send ${DEVICE_SIGNALS.join(' or ')}` });
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
      if (FINAL_STATUSES.includes(state.status)) {
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
