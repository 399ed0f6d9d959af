import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AppDeps } from './deps';
import { auth } from './plugins/auth';
import { errorHandler } from './plugins/error-handler';
import { metrics } from './plugins/metrics';
import { openapi } from './plugins/openapi';
import { rateLimits } from './plugins/rate-limits';
import { tracing } from './plugins/tracing';
import { wellFormedText } from './plugins/well-formed-text';
import { eventRoutes } from './routes/events';
import { faultRoutes } from './routes/faults';
import { healthRoutes } from './routes/health';
import { instanceRoutes } from './routes/instances';
import { lotRoutes } from './routes/lots';
import { plateRoutes } from './routes/plates';
import { orderRoutes } from './routes/orders';
import { productRoutes } from './routes/products';
import { reservationChangeRoutes } from './routes/reservation-changes';
import { reservationRoutes } from './routes/reservations';
import { sagaRoutes } from './routes/sagas';
import { searchRoutes } from './routes/search';
import { userRoutes } from './routes/users';
import { vehicleRoutes } from './routes/vehicles';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as "METHOD /path", in registration order (tests check each is guarded as meant). */
    routeList: string[];
  }
}

/** The API's routes and plugins, registered on a Fastify instance. */
export async function app(fastify: FastifyInstance, deps: AppDeps): Promise<void> {
  fastify.decorate('routeList', []);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') fastify.routeList.push(`${method} ${route.url}`);
  });
  await fastify.register(errorHandler);
  await fastify.register(openapi); // before any route: it describes each as it is added
  await fastify.register(wellFormedText);
  await fastify.register(metrics, { token: deps.metricsToken });
  await fastify.register(tracing);
  await fastify.register(auth, deps.auth);
  await fastify.register(rateLimits, { db: deps.db, scope: deps.rateLimits.scope, windowMs: deps.rateLimits.windowMs });
  await fastify.register(healthRoutes, deps);
  await fastify.register(instanceRoutes, deps);
  await fastify.register(userRoutes, deps);
  await fastify.register(lotRoutes, deps);
  await fastify.register(plateRoutes, deps);
  await fastify.register(vehicleRoutes, deps);
  await fastify.register(sagaRoutes, deps);
  await fastify.register(productRoutes, deps);
  await fastify.register(orderRoutes, deps);
  await fastify.register(reservationRoutes, deps);
  await fastify.register(reservationChangeRoutes, deps);
  await fastify.register(eventRoutes, deps);
  await fastify.register(searchRoutes, deps);
  if (deps.faultsEnabled) await fastify.register(faultRoutes, deps);
}

/** Builds the whole API: zod validates, types and serialises every route. */
export async function buildApp(deps: AppDeps, options: FastifyServerOptions = {}) {
  const fastify = Fastify({ bodyLimit: 64 * 1024, ...options }).withTypeProvider<ZodTypeProvider>();
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  await app(fastify, deps);
  return fastify;
}
