import fastifyJwt from '@fastify/jwt';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export type Role = 'user' | 'operator' | 'admin';

/** What the API's tokens carry. */
export interface TokenClaims {
  sub: string;
  email: string;
  role: Role;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: TokenClaims;
    user: TokenClaims;
  }
}

/** A route guard, carrying what it lets through for the OpenAPI document (api/plugins/openapi.ts). */
type Guard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & { access: Access };

/** Who a guard lets through: a bearer token (with one of `roles`, any when empty), and gate devices when `device`. */
export interface Access {
  roles: Role[];
  device: boolean;
}

const guard = (access: Access, check: (request: FastifyRequest, reply: FastifyReply) => Promise<void>): Guard => Object.assign(check, { access });

declare module 'fastify' {
  interface FastifyInstance {
    /** A hook that lets through a valid token with one of `roles` (any role when none given): 401, or 403. */
    requireRole(...roles: Role[]): Guard;
    /** A hook for gate devices: a known x-device-key, or a token with one of `roles`. */
    requireDeviceOr(...roles: Role[]): Guard;
  }
  interface FastifyRequest {
    /** Who acts, for audit trails: the token's email, or "device". */
    actor?: string;
  }
}

export interface AuthOptions {
  secret: string;
  expiresIn: string;
  deviceKeys: string[];
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** JWT (HS256) for people, device keys for gates; guards are route `onRequest` hooks, so auth answers before validation. */
export const auth = fp(async (app: FastifyInstance, options: AuthOptions) => {
  await app.register(fastifyJwt, {
    secret: options.secret,
    sign: { algorithm: 'HS256', expiresIn: options.expiresIn },
    verify: { algorithms: ['HS256'] },
  });
  const deviceDigests = options.deviceKeys.map(digest);
  const isDevice = (key: unknown) => typeof key === 'string' && deviceDigests.some((d) => timingSafeEqual(d, digest(key)));

  async function verify(request: FastifyRequest, reply: FastifyReply, roles: Role[]): Promise<boolean> {
    try {
      await request.jwtVerify();
    } catch {
      await reply.code(401).send({ error: 'Unauthorized', message: 'a valid bearer token is required' });
      return false;
    }
    if (roles.length > 0 && !roles.includes(request.user.role)) {
      await reply.code(403).send({ error: 'Forbidden', message: `this needs the ${roles.join(' or ')} role` });
      return false;
    }
    request.actor = request.user.email;
    return true;
  }

  app.decorate('requireRole', (...roles: Role[]): Guard =>
    guard({ roles, device: false }, async (request, reply) => {
      await verify(request, reply, roles);
    }),
  );

  app.decorate('requireDeviceOr', (...roles: Role[]): Guard =>
    guard({ roles, device: true }, async (request, reply) => {
      const key = request.headers['x-device-key'];
      if (key !== undefined) {
        if (isDevice(key)) {
          request.actor = 'device';
          return;
        }
        await reply.code(401).send({ error: 'Unauthorized', message: 'unknown device key' });
        return;
      }
      await verify(request, reply, roles);
    }),
  );
});
