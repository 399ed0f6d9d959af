import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { order } from '../../workflows';
import type { AppDeps } from '../deps';
import { REQUEST_ID, replyWithSaga } from '../saga-reply';

const newOrder = z.object({
  items: z
    .array(z.object({ productId: z.string().min(1).max(100), quantity: z.number().int().min(1).max(10_000) }))
    .min(1)
    .max(100),
  requestId: z.string().regex(REQUEST_ID, 'letters, digits and . _ : - only, at most 100').optional(),
});

/** Orders: commands go through the order saga; reads come from the orders table (the read model). */
export const orderRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { sagas, domains, rateLimits }) => {
  const sagaStarts = app.limitRate({ name: 'orders per user', max: rateLimits.sagaStartsPerUser, key: (request) => request.user.sub });
  app.post('/orders', { onRequest: app.requireRole(), schema: { body: newOrder }, preHandler: sagaStarts }, async (request, reply) => {
    const { requestId, items } = request.body;
    const input = { userId: request.user.sub, items };
    // The request id is scoped to the user: two users' "1" are two orders.
    const started = await sagas.start<typeof order>('Order', input, {
      ...(requestId && { requestId: `${request.user.sub}-${requestId}` }),
      keys: { UserId: request.user.sub },
    });
    request.log.info({ sagaId: started.sagaId, status: started.state.status }, 'order saga answered');
    return replyWithSaga(reply, started, input, { record: { key: 'OrderId', field: 'orderId', cancelledStatus: 'CANCELLED' } });
  });

  app.get('/orders', { onRequest: app.requireRole() }, async (request) => ({
    orders: await domains.orders.listOrders(request.user.sub),
  }));

  app.get('/orders/:id', { onRequest: app.requireRole(), schema: { params: z.object({ id: z.string().min(1).max(100) }) } }, async (request) =>
    domains.orders.getOrder(request.params.id, request.user.sub),
  );
};
