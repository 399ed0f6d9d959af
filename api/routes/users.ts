import rateLimit from '@fastify/rate-limit';
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps';
import { errorReply, userRole, userView } from '../schemas';

const credentials = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) });

export const userRoutes: FastifyPluginAsyncZod<AppDeps & { loginRateLimit: number }> = async (app, deps) => {
  const { users } = deps.domains;
  await app.register(rateLimit, { global: false });

  app.post('/users/register', { schema: { body: credentials, response: { 201: userView } } }, async (request, reply) => {
    return reply.code(201).send(await users.registerUser(request.body));
  });

  app.post(
    '/users/login',
    {
      schema: { body: credentials, response: { 200: z.object({ token: z.string(), user: userView }), 401: errorReply } },
      // Brute-force guard: per client address and account.
      config: {
        rateLimit: {
          max: deps.loginRateLimit,
          timeWindow: '1 minute',
          keyGenerator: (request) => `${request.ip}:${String((request.body as { email?: unknown })?.email ?? '').toLowerCase()}`,
        },
      },
    },
    async (request, reply) => {
      const user = await users.verifyLogin(request.body.email, request.body.password);
      if (!user) return reply.code(401).send({ error: 'Unauthorized', message: 'wrong email or password' });
      const token = app.jwt.sign({ sub: user.id, email: user.email, role: user.role });
      return { token, user };
    },
  );

  app.get('/users/me', { onRequest: app.requireRole(), schema: { response: { 200: userView } } }, async (request) => users.getUser(request.user.sub));

  app.put(
    '/users/me/webhook',
    { onRequest: app.requireRole(), schema: { body: z.object({ url: z.string().max(2000).nullable() }), response: { 200: userView } } },
    async (request) => users.setWebhook(request.user.sub, request.body.url),
  );

  app.put(
    '/users/:id/role',
    {
      onRequest: app.requireRole('admin'),
      schema: { params: z.object({ id: z.string().min(1).max(100) }), body: z.object({ role: userRole }), response: { 200: userView } },
    },
    async (request) => users.setRole(request.params.id, request.body.role),
  );
};
