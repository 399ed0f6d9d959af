import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { BusinessRejection, NotFoundError } from '../../domains';
import { SagaNotFoundError } from '../../temporal/saga-client';

export interface FieldError {
  field: string;
  in: string;
  message: string;
}

/** Builds the 400 body that names each bad field. */
export function badRequest(fields: FieldError[]) {
  return {
    error: 'Bad Request',
    message: fields.map((f) => `${f.in}.${f.field}: ${f.message}`).join('; '),
    fields,
  };
}

/**
 * Domain rejections that are about one field of a request body: the API answers them 400
 * naming the field (the domain owns the rule, e.g. what a valid plate or email is).
 * INVALID_PLATE reaches here only from routes that store plates (blocklist, vehicles):
 * a saga's rejection of a plate is the saga's answer (409), not an error.
 */
const FIELD_REJECTIONS: Record<string, string> = {
  INVALID_PLATE: 'plate',
  INVALID_EMAIL: 'email',
  WEAK_PASSWORD: 'password',
  INVALID_PASSWORD: 'password',
  INVALID_WEBHOOK_URL: 'url',
  INVALID_EVENT_TYPES: 'types',
  INVALID_ROLE: 'role',
  INVALID_SKU: 'sku',
  INVALID_NAME: 'name',
  INVALID_PRICE: 'price',
  INVALID_OWNER: 'ownerName',
  INVALID_PERIOD: 'endsAt',
  PERIOD_IN_PAST: 'endsAt',
  RESERVATION_TOO_LONG: 'endsAt',
  STARTS_TOO_LATE: 'startsAt',
};

/**
 * Maps every error to a clear JSON answer: 400 naming the bad fields, 404, 409 with
 * the business reason, 503 when a dependency is down. A 500 means a bug, and is logged as one.
 */
export const errorHandler = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const fields = error.validation.map((v) => ({
        field: v.instancePath.replace(/^\//, '').replace(/\//g, '.') || String(v.params?.['missingProperty'] ?? '(root)'),
        in: error.validationContext ?? 'body',
        message: v.message ?? 'invalid',
      }));
      return reply.code(400).send(badRequest(fields));
    }
    if (error instanceof NotFoundError || error instanceof SagaNotFoundError) {
      return reply.code(404).send({ error: 'Not Found', message: error.message });
    }
    if (error instanceof BusinessRejection && FIELD_REJECTIONS[error.code]) {
      return reply.code(400).send(badRequest([{ field: FIELD_REJECTIONS[error.code]!, in: 'body', message: error.message }]));
    }
    if (error instanceof BusinessRejection) {
      return reply.code(409).send({ error: 'Conflict', reason: error.code, message: error.message });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: bad JSON, body too large, wrong content type.
      return reply.code(status).send({ error: error.code ?? 'Bad Request', message: error.message });
    }
    if (isUnavailable(error)) {
      request.log.warn({ err: error }, 'dependency unavailable');
      return reply.code(503).send({ error: 'Service Unavailable', message: 'a dependency is unavailable; try again' });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'Internal Server Error', message: 'unexpected error' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: 'Not Found', message: `no route ${request.method} ${request.url}` });
  });
});

/**
 * Prisma's "the database is out of reach or busy, try again": P1001 cannot reach, P1002 and P1008
 * timed out (SQLite's "database is locked" among them), P1017 connection closed, P2024 no pooled
 * connection in time, P2034 write conflict or deadlock.
 */
const DATABASE_UNAVAILABLE = ['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034'];

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED from Temporal, a database out of reach or busy, or a refused connection. */
function isUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; name?: string; cause?: unknown };
  return (
    e?.code === 14 ||
    e?.code === 4 ||
    e?.code === 'ECONNREFUSED' ||
    (typeof e?.code === 'string' && DATABASE_UNAVAILABLE.includes(e.code)) ||
    e?.name === 'PrismaClientInitializationError' ||
    e?.name === 'ServiceError' ||
    (e?.cause !== undefined && e.cause !== error && isUnavailable(e.cause))
  );
}
