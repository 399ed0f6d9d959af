import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * GET /metrics in Prometheus text format: requests by route and status, their latency,
 * and the process's own metrics. Routes are labelled by their pattern (/sagas/:id), never
 * by the raw URL, so that the label set stays small.
 */
export const metrics = fp(async (app: FastifyInstance, options: { token?: string | undefined }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  // With METRICS_TOKEN set, only a scraper that sends it may read them (they tell routes, rates and errors).
  const expected = options.token ? createHash('sha256').update(`Bearer ${options.token}`).digest() : undefined;
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!expected) return;
    const given = createHash('sha256').update(String(request.headers.authorization ?? '')).digest();
    if (!timingSafeEqual(given, expected)) await reply.code(401).send({ error: 'Unauthorized', message: 'the metrics token is required' });
  };

  const exposition = { description: 'Prometheus text exposition', content: { 'text/plain': { schema: z.string() } } };
  app.get('/metrics', { onRequest: guard, schema: { response: { 200: exposition } } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
});
