import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BusinessRejection } from '../../domains';
import type { AppDeps } from '../deps';
import { errorReply, userRole, userView } from '../schemas';

const credentials = z.object({ email: z.string().min(1).max(254), password: z.string().min(1).max(1024) });

export const userRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, deps) => {
  const { users } = deps.domains;
  const limits = deps.rateLimits;
  const email = (request: { body: unknown }) => String((request.body as { email?: unknown })?.email ?? '').trim().toLowerCase();
  // Brute-force guard: per client address (one address trying many accounts) AND per account
  // (one account tried from many addresses). It runs after the body is parsed, so the account is known.
  const loginLimit = app.limitRate(
    { name: 'login per address', max: limits.loginPerAddress, key: (request) => request.ip },
    { name: 'login per account', max: limits.loginPerAccount, key: email },
  );
  const registrationLimit = app.limitRate({ name: 'registrations per address', max: limits.registrationsPerAddress, key: (request) => request.ip });

  app.post('/users/register', { preHandler: registrationLimit, schema: { body: credentials, response: { 201: userView } } }, async (request, reply) => {
    return reply.code(201).send(await users.registerUser(request.body));
  });

  app.post(
    '/users/login',
    {
      schema: { body: credentials, response: { 200: z.object({ token: z.string(), user: userView }), 401: errorReply } },
      preHandler: loginLimit,
    },
    async (request, reply) => {
      const user = await users.verifyLogin(request.body.email, request.body.password);
      if (!user) return reply.code(401).send({ error: 'Unauthorized', message: 'wrong email or password' });
      const token = app.jwt.sign({ sub: user.id, email: user.email, role: user.role, ver: user.tokenVersion });
      return { token, user };
    },
  );

  app.get('/users/me', { onRequest: app.requireRole(), schema: { response: { 200: userView } } }, async (request) => users.getUser(request.user.sub));

  /** Changes the caller's password; every token issued before (this one too) stops working. */
  app.put(
    '/users/me/password',
    {
      onRequest: app.requireRole(),
      schema: {
        body: z.object({ currentPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) }),
        response: { 204: z.null().describe('the password is changed'), 403: z.object({ error: z.string(), reason: z.string(), message: z.string() }) },
      },
    },
    async (request, reply) => {
      try {
        await users.changePassword(request.user.sub, request.body.currentPassword, request.body.newPassword);
      } catch (err) {
        if (err instanceof BusinessRejection && err.code === 'WRONG_PASSWORD') {
          return reply.code(403).send({ error: 'Forbidden', reason: 'WRONG_PASSWORD', message: err.message });
        }
        throw err;
      }
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/users/me/webhook',
    {
      onRequest: app.requireRole(),
      // The signing secret is shown here once, when the webhook is set (null when it is cleared).
      schema: { body: z.object({ url: z.string().max(2000).nullable() }), response: { 200: userView.extend({ webhookSecret: z.string().nullable() }) } },
    },
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
