import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EVENT_TYPES } from '../../domains/events';
import type { AppDeps } from '../deps';
import { noContent } from '../schemas';

export const MAX_EVENTS_PAGE = 500;

const cloudEvent = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string(),
    source: z.string(),
    type: z.string(),
    subject: z.string(),
    time: z.string(),
    datacontenttype: z.literal('application/json'),
    data: z.record(z.string(), z.unknown()),
    position: z.number().int().describe('The event\'s place in the log: pass the last one read as `after`'),
  })
  .describe('A domain event, CloudEvents 1.0 (structured JSON)');

const subscriptionView = z.object({
  id: z.string(),
  url: z.string(),
  types: z.array(z.string()),
  fromPosition: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
});

const eventType = z.enum(EVENT_TYPES);

/** The domain events: read by cursor (GET /events), or pushed to subscriptions (admin). */
export const eventRoutes: FastifyPluginAsyncZod<AppDeps> = async (app, { domains }) => {
  app.get(
    '/events',
    {
      onRequest: app.requireRole('operator', 'admin'),
      schema: {
        description:
          'Domain events in log order after `after` (a position; 0 from the start). `next` is the cursor to read on from. An event gets its position once its transaction committed, after every event already read: reading on from `next` misses none and repeats none.',
        querystring: z.object({
          after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
          type: z
            .string()
            .max(1000)
            .optional()
            .describe('Comma-separated event types')
            .transform((value, ctx) => {
              const types = value ? value.split(',').map((t) => t.trim()).filter(Boolean) : [];
              for (const t of types) if (!eventType.safeParse(t).success) ctx.addIssue({ code: 'custom', message: `unknown event type ${t}` });
              return types;
            }),
          subject: z.string().min(1).max(300).optional(),
          limit: z.coerce.number().int().min(1).max(MAX_EVENTS_PAGE).default(100),
        }),
        response: { 200: z.object({ events: z.array(cloudEvent), next: z.number().int() }) },
      },
    },
    async (request) => {
      const { after, type, subject, limit } = request.query;
      return domains.events.read({ after, types: type, limit, ...(subject && { subject }) });
    },
  );

  app.get(
    '/subscriptions',
    { onRequest: app.requireRole('admin'), schema: { response: { 200: z.object({ subscriptions: z.array(subscriptionView) }) } } },
    async () => ({ subscriptions: await domains.subscriptions.list() }),
  );

  app.post(
    '/subscriptions',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        description:
          'Registers an endpoint for a set of event types. It receives each event of those types numbered from now on, as a signed POST (CloudEvents structured JSON), at least once, in order per subject. The secret is shown this once.',
        body: z.object({ url: z.string().min(1).max(2000), types: z.array(eventType).min(1).max(EVENT_TYPES.length) }),
        response: { 201: subscriptionView.extend({ secret: z.string() }) },
      },
    },
    async (request, reply) => {
      const created = await domains.subscriptions.subscribe({ ...request.body, createdBy: request.user.sub });
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/subscriptions/:id',
    { onRequest: app.requireRole('admin'), schema: { params: z.object({ id: z.string().min(1).max(100) }), response: { 204: noContent } } },
    async (request, reply) => {
      await domains.subscriptions.unsubscribe(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
