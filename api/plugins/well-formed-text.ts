import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { badRequest, type FieldError } from './error-handler';

/**
 * Text the platform can store: well-formed Unicode without NUL. JSON may carry a lone
 * surrogate ("\udfff"), which no database can store as UTF-8 (Prisma refuses the query), and
 * PostgreSQL refuses NUL in text; either used to end as a 500. Such a string anywhere in the
 * body, query or path is answered 400 naming where it is, before the route runs.
 */
const NOT_STORABLE = /[\p{Cs}\u0000]/u;

function findBadText(value: unknown, path: string, found: FieldError[], where: string, depth = 0): void {
  if (found.length >= 10 || depth > 64) return;
  if (typeof value === 'string') {
    if (NOT_STORABLE.test(value)) found.push({ field: path || '(root)', in: where, message: 'must be well-formed Unicode text without NUL characters' });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => findBadText(item, path ? `${path}.${i}` : String(i), found, where, depth + 1));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (NOT_STORABLE.test(key)) found.push({ field: path ? `${path}.${key}` : key, in: where, message: 'a key must be well-formed Unicode text without NUL characters' });
      findBadText(item, path ? `${path}.${key}` : key, found, where, depth + 1);
    }
  }
}

export const wellFormedText = fp(async (app: FastifyInstance) => {
  app.addHook('preValidation', async (request, reply) => {
    const found: FieldError[] = [];
    findBadText(request.params, '', found, 'params');
    findBadText(request.query, '', found, 'querystring');
    findBadText(request.body, '', found, 'body');
    if (found.length > 0) return reply.code(400).send(badRequest(found));
  });
});
