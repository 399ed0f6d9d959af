import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { orderContract } from '../../workflows/contracts';
import type { AppDeps } from '../deps';
import { requestId, replyWithSaga, sagaReplies } from '../saga-reply';
import { orderView } from '../schemas';

// The saga's input less the user, who is the caller.
const newOrder = orderContract.input.omit({ userId: true }).extend({ requestId });

/** Orders: commands go through the order saga; reads come from the orders table (the read model). */
export const orderRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { sagas, domains, rateLimits }) => {
  const sagaStarts = app.limitRate({ name: 'orders per user', max: rateLimits.sagaStartsPerUser, key: (request) => request.user.sub });
  app.post('/orders', { onRequest: app.requireRole(), preHandler: sagaStarts, schema: { body: newOrder, response: sagaReplies(orderContract) } }, async (request, reply) => {
    const { requestId, items } = request.body;
    const input = { userId: request.user.sub, items };
    // The request id is scoped to the user: two users' "1" are two orders.
    const started = await sagas.start(orderContract, input, requestId ? { requestId: `${request.user.sub}-${requestId}` } : {});
    request.log.info({ sagaId: started.sagaId, status: started.state.status }, 'order saga answered');
    return replyWithSaga(reply, started, input, orderContract);
  });

  app.get('/orders', { onRequest: app.requireRole(), schema: { response: { 200: z.object({ orders: z.array(orderView) }) } } }, async (request) => ({
    orders: await domains.orders.listOrders(request.user.sub),
  }));

  app.get('/orders/:id', { onRequest: app.requireRole(), schema: { params: z.object({ id: z.string().min(1).max(100) }), response: { 200: orderView } } }, async (request) =>
    domains.orders.getOrder(request.params.id, request.user.sub),
  );
};
