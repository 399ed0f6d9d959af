import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../../db/client';
import { databaseRateStore } from './rate-limit-store';

/** Requests allowed per minute, by what they are keyed on. */
export interface RateLimits {
  /** POST /users/login per client address (whatever the accounts). */
  loginPerAddress: number;
  /** POST /users/login per account (whatever the addresses). */
  loginPerAccount: number;
  /** POST /users/register per client address. */
  registrationsPerAddress: number;
  /**
   * Money-moving requests of a signed-in user, per user and route family: POST /orders; and
   * POST /reservations with PATCH /reservations/:id, which share one budget (reservationsPerUser).
   */
  sagaStartsPerUser: number;
  /**
   * A prefix of the counters' keys in the database: API processes of one scope count together.
   * Production leaves it empty (every replica shares every limit); tests give each app its own.
   */
  scope?: string;
  /** The window the counts are per: a minute unless a test needs the counts to outlast a slow run. */
  windowMs?: number;
}

/**
 * Booking and changing reservations count against one budget per user: each holds a space and
 * moves money through the gateway, so a user cannot dodge the booking limit by changing instead.
 */
export const reservationsPerUser = (max: number) => ({ name: 'reservations per user', max, key: (request: FastifyRequest) => request.user.sub });

/** A preHandler that answers 429; `limits` names what it counts (the OpenAPI document shows them; the numbers are settings). */
export type Limiter = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & { limits: string[] };

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * A preHandler (it runs after auth and validation, so the key may come from the body or the
     * token) that answers 429 once any of `limits` has let `max` requests through this minute.
     */
    limitRate(...limits: Array<{ name: string; max: number; key: (request: FastifyRequest) => string }>): Limiter;
  }
}

/**
 * @fastify/rate-limit's counters behind one guard that checks several keys at once (its route
 * option takes one key, and runs before the body is parsed). The counters live in the database,
 * shared by every API process (databaseRateStore). The client address is request.ip: the
 * socket's, or X-Forwarded-For's only when TRUST_PROXY says which proxies to believe.
 */
export const rateLimits = fp(async (app: FastifyInstance, options: { db: Db; scope?: string | undefined; windowMs?: number | undefined }) => {
  // skipOnError: a counter that cannot be written (the database away or locked) lets the request
  // through rather than failing it. A saga start needs no database at the API, so it still works
  // (Temporal runs the saga once the database is back); login and registration need the database
  // themselves and answer 503 then, so the guess-per-minute limits lose nothing.
  await app.register(rateLimit, { global: false, skipOnError: true, store: databaseRateStore(options.db, options.scope) });
  app.decorate('limitRate', (...limits: Array<{ name: string; max: number; key: (request: FastifyRequest) => string }>): Limiter => {
    const counters = limits.map((limit) => ({
      name: limit.name,
      check: app.createRateLimit({ max: limit.max, timeWindow: options.windowMs ?? 60_000, skipOnError: true, keyGenerator: (request) => `${limit.name}:${limit.key(request)}` }),
    }));
    const limiter = async (request: FastifyRequest, reply: FastifyReply) => {
      // Every counter counts the attempt, so that one key cannot be used to spare another.
      const results = await Promise.all(counters.map(async (c) => ({ name: c.name, ...(await c.check(request)) })));
      const over = results.find((r) => !r.isAllowed && r.isExceeded);
      if (!over) return;
      const retryAfter = 'ttlInSeconds' in over ? over.ttlInSeconds : 60;
      await reply
        .code(429)
        .header('retry-after', String(retryAfter))
        .send({ error: 'Too Many Requests', reason: 'RATE_LIMITED', limit: over.name, message: `too many requests (${over.name}); try again in ${retryAfter} s` });
    };
    return Object.assign(limiter, { limits: limits.map((limit) => limit.name) });
  });
});
