import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { vehicleEntry, vehicleExit } from '../../workflows';
import type { AppDeps } from '../deps';
import { REQUEST_ID, replyWithSaga } from '../saga-reply';

// The API checks the shape only; the plate rules belong to the plate domain (a 409 INVALID_PLATE).
const vehicleMovement = z.object({
  lotId: z.string().min(1).max(100),
  plate: z.string().min(1).max(20),
  requestId: z.string().regex(REQUEST_ID, 'letters, digits and . _ : - only, at most 100').optional(),
});

export const vehicleRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { sagas }) => {
  app.post('/vehicle-entries', { onRequest: app.requireDeviceOr('operator', 'admin'), schema: { body: vehicleMovement } }, async (request, reply) => {
    const { requestId, ...input } = request.body;
    const started = await sagas.start<typeof vehicleEntry>('VehicleEntry', input, { requestId, keys: { LotId: input.lotId } });
    request.log.info({ sagaId: started.sagaId, status: started.state.status }, 'vehicle entry saga answered');
    return replyWithSaga(reply, started, input);
  });

  app.post('/vehicle-exits', { onRequest: app.requireDeviceOr('operator', 'admin'), schema: { body: vehicleMovement } }, async (request, reply) => {
    const { requestId, ...input } = request.body;
    const started = await sagas.start<typeof vehicleExit>('VehicleExit', input, { requestId, keys: { LotId: input.lotId } });
    request.log.info({ sagaId: started.sagaId, status: started.state.status }, 'vehicle exit saga answered');
    return replyWithSaga(reply, started, input);
  });
};
