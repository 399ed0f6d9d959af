import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { ERROR_REPLIES, errorReply } from '../schemas';
import type { Limiter } from './rate-limits';
import type { Access } from './auth';

/** Where the document and the docs page are served. */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

/**
 * The OpenAPI 3.1 document, built from the routes' zod schemas (fastify-type-provider-zod),
 * at GET /openapi.json, and a Swagger UI page at GET /docs to read it and try calls with
 * a bearer token or a gate device's key. Register it before the routes: it sees each one as
 * it is added, and names its security from its guard and its error answers.
 */
export const openapi = fp(async (app: FastifyInstance) => {
  app.addHook('onRoute', describeRoute);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Saga platform API',
        version: '0.1.0',
        description: 'Vehicle entry and exit, parking reservations and shop orders, run as sagas on Temporal.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A token from POST /users/login' },
          deviceKey: { type: 'apiKey', in: 'header', name: 'x-device-key', description: "A gate device's key (DEVICE_KEYS)" },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: DOCS_PATH, uiConfig: { persistAuthorization: true } });
});

/** A route's security (from its guard's access) and the error answers any route may give. */
function describeRoute(route: RouteOptions): void {
  route.schema ??= {};
  if (route.schema.hide) return;
  const guards = [route.onRequest ?? []].flat() as Array<{ access?: Access }>;
  const access = guards.find((g) => g.access)?.access;
  if (access) {
    route.schema.security = [{ bearerAuth: [] }, ...(access.device ? [{ deviceKey: [] }] : [])];
    const who = access.roles.length > 0 ? `the ${access.roles.join(' or ')} role` : 'any signed-in user';
    route.schema.description = [route.schema.description, `Needs ${who}${access.device ? ', or a gate device' : ''}.`].filter(Boolean).join(' ');
  }
  const limiters = [route.preHandler ?? []].flat() as Array<Partial<Limiter>>;
  const limits = limiters.flatMap((l) => l.limits ?? []);
  if (limits.length > 0) route.schema.description = [route.schema.description, `Rate limited (${limits.join('; ')}): 429 with retry-after.`].filter(Boolean).join(' ');
  route.schema.response = { ...ERROR_REPLIES, ...(limits.length > 0 && { 429: errorReply }), ...(route.schema.response as object) };
}
