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
  /** The user's token version when it was issued; a role or password change raises it. Absent: 0. */
  ver?: number;
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

/** A gate device as configured (DEVICE_KEYS): its name, the lots it may act on, its key. */
export interface Device {
  name: string;
  lots: string[] | '*';
  key: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** A hook that lets through a valid token with one of `roles` (any role when none given): 401, or 403. */
    requireRole(...roles: Role[]): Guard;
    /** A hook for gate devices: a known x-device-key, or a token with one of `roles`. */
    requireDeviceOr(...roles: Role[]): Guard;
    /**
     * Checks the request's bearer token as the guards do (signature, expiry, token version, one of
     * `roles` when given): true when it passes; otherwise the 401 or 403 is sent and it answers false.
     * For routes whose answer depends on the caller but that anyone may call (GET /health).
     */
    authenticate(request: FastifyRequest, reply: FastifyReply, roles?: Role[]): Promise<boolean>;
    /** Whether the request may act on lot `lotId`: people always (their role was checked), a device only at its lots. */
    mayActAtLot(request: FastifyRequest, lotId: string | undefined): boolean;
  }
  interface FastifyRequest {
    /** Who acts, for audit trails: the token's email, or `device:<configured name>`. */
    actor?: string;
    /** The gate device that sent the request, when one did. */
    device?: { name: string; lots: string[] | '*' };
  }
}

export interface AuthOptions {
  secret: string;
  expiresIn: string;
  devices: Device[];
  /** The user's current token version; null for no such user (its tokens are refused). */
  tokenVersionOf: (userId: string) => Promise<number | null>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * JWT (HS256) for people, device keys for gates; guards are route `onRequest` hooks, so auth
 * answers before validation. Each request re-reads the user's token version, so that a role or
 * password change ends the earlier tokens at once rather than when they expire.
 */
export const auth = fp(async (app: FastifyInstance, options: AuthOptions) => {
  await app.register(fastifyJwt, {
    secret: options.secret,
    sign: { algorithm: 'HS256', expiresIn: options.expiresIn },
    verify: { algorithms: ['HS256'] },
  });
  const devices = options.devices.map((d) => ({ name: d.name, lots: d.lots, digest: digest(d.key) }));
  const deviceOf = (key: unknown) => {
    if (typeof key !== 'string') return undefined;
    const given = digest(key);
    // Compare with every key (no early exit), so the time does not tell which matched.
    let found: (typeof devices)[number] | undefined;
    for (const d of devices) if (timingSafeEqual(d.digest, given)) found ??= d;
    return found;
  };

  async function verify(request: FastifyRequest, reply: FastifyReply, roles: Role[] = []): Promise<boolean> {
    try {
      await request.jwtVerify();
    } catch {
      await reply.code(401).send({ error: 'Unauthorized', message: 'a valid bearer token is required' });
      return false;
    }
    const current = await options.tokenVersionOf(request.user.sub);
    if (current === null || current !== (request.user.ver ?? 0)) {
      await reply.code(401).send({ error: 'Unauthorized', message: 'this token is no longer valid (the account changed); log in again' });
      return false;
    }
    if (roles.length > 0 && !roles.includes(request.user.role)) {
      await reply.code(403).send({ error: 'Forbidden', message: `this needs the ${roles.join(' or ')} role` });
      return false;
    }
    request.actor = request.user.email;
    return true;
  }

  app.decorate('authenticate', verify);

  app.decorate('requireRole', (...roles: Role[]): Guard =>
    guard({ roles, device: false }, async (request, reply) => {
      await verify(request, reply, roles);
    }),
  );

  app.decorate('requireDeviceOr', (...roles: Role[]): Guard =>
    guard({ roles, device: true }, async (request, reply) => {
      const key = request.headers['x-device-key'];
      if (key !== undefined) {
        const device = deviceOf(key);
        if (device) {
          request.device = { name: device.name, lots: device.lots };
          request.actor = `device:${device.name}`;
          return;
        }
        await reply.code(401).send({ error: 'Unauthorized', message: 'unknown device key' });
        return;
      }
      await verify(request, reply, roles);
    }),
  );

  app.decorate('mayActAtLot', (request: FastifyRequest, lotId: string | undefined) => {
    const device = request.device;
    if (!device) return true;
    return device.lots === '*' || (lotId !== undefined && device.lots.includes(lotId));
  });
});
