/**
 * Run-time fault injection shared by every simulator instance.
 *
 *   POST /admin/faults {failRate?: 0..1, latencyMs?: number, down?: boolean, loseAnswerRate?: 0..1}   merge into the current faults
 *   GET  /admin/faults                                                       the current faults
 *   POST /admin/reset                                                        no faults, stats back to zero
 *   GET  /admin/stats                                                        the simulator's counters
 *
 * down: every non-admin route, /health included, answers 503 {error:'DOWN'}. We
 *   answer rather than destroy the socket so health probes and callers see a clean,
 *   immediate failure; for a "connection refused" outage, close the simulator.
 * failRate: that share of business calls answer 503 {error:'INJECTED_FAILURE'}.
 * latencyMs: business calls are delayed by that long before being handled.
 * loseAnswerRate: that share of business calls are handled (their effect happens), and then
 *   their answer is lost: the caller gets 503 {error:'ANSWER_LOST'}, as when a load balancer
 *   times out on a call the vendor finished. The caller must retry with the same idempotency
 *   key to learn the outcome, and must not do it again. (Every other fault strikes before the
 *   call is handled.) Absent from the settings until it is first set.
 * Business calls are counted when they arrive, before any fault applies, so
 * `calls` tells whether a caller reached the instance at all; `abandoned` counts those whose
 * caller closed the connection before the answer was sent (it gave up: a cancel, a timeout).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';

export interface FaultSettings {
  failRate: number;
  latencyMs: number;
  down: boolean;
  loseAnswerRate?: number;
}

export const NO_FAULTS: Readonly<FaultSettings> = Object.freeze({ failRate: 0, latencyMs: 0, down: false });

const faultPatchSchema = z
  .object({
    failRate: z.number().min(0).max(1).optional(),
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    down: z.boolean().optional(),
    loseAnswerRate: z.number().min(0).max(1).optional(),
  })
  .strict();

export interface FaultsOptions {
  /** Which routes are business calls (counted, delayed, failed); default: everything but /health and /admin. */
  isBusinessRoute?: (request: FastifyRequest) => boolean;
  /** In [0, 1); decides which calls fail under failRate. */
  random?: () => number;
  /** The simulator's counters for GET /admin/stats; `calls` is added here. */
  stats: () => Record<string, unknown>;
  /** Zeroes the simulator's own counters on POST /admin/reset. */
  resetStats: () => void;
}

export interface FaultControl {
  current(): FaultSettings;
  set(patch: Partial<FaultSettings>): FaultSettings;
  reset(): void;
  /** Business calls received. */
  calls(): number;
  /** Business calls whose caller went away before their answer was sent. */
  abandoned(): number;
}

const isAdmin = (url: string) => url === '/admin' || url.startsWith('/admin/');
const pathOf = (request: FastifyRequest) => request.url.split('?')[0] ?? request.url;

export function installFaults(app: FastifyInstance, options: FaultsOptions): FaultControl {
  let faults: FaultSettings = { ...NO_FAULTS };
  let calls = 0;
  let abandoned = 0;
  const random = options.random ?? Math.random;
  const isBusinessRoute = options.isBusinessRoute ?? ((request) => pathOf(request) !== '/health');

  const control: FaultControl = {
    current: () => ({ ...faults }),
    set: (patch) => {
      faults = { ...faults, ...patch };
      return { ...faults };
    },
    reset: () => {
      faults = { ...NO_FAULTS };
      calls = 0;
      abandoned = 0;
      options.resetStats();
    },
    calls: () => calls,
    abandoned: () => abandoned,
  };

  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request);
    if (isAdmin(path)) return;
    const business = isBusinessRoute(request);
    if (business) {
      calls++;
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) abandoned++;
      });
    }
    if (faults.down) {
      await reply.code(503).send({ error: 'DOWN' });
      return reply;
    }
    if (!business) return;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    if (faults.failRate > 0 && random() < faults.failRate) {
      await reply.code(503).send({ error: 'INJECTED_FAILURE' });
      return reply;
    }
  });

  // After the call was handled: its answer may be lost on the way back (loseAnswerRate).
  app.addHook('onSend', async (request, reply, payload) => {
    const rate = faults.loseAnswerRate ?? 0;
    if (rate === 0 || isAdmin(pathOf(request)) || !isBusinessRoute(request) || reply.statusCode >= 500) return payload;
    if (random() >= rate) return payload;
    reply.code(503).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify({ error: 'ANSWER_LOST' });
  });

  app.get('/admin/faults', async () => control.current());
  app.post('/admin/faults', async (request, reply) => {
    const parsed = faultPatchSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      return reply.code(400).send(invalidRequest(parsed.error));
    }
    const patch: Partial<FaultSettings> = {};
    if (parsed.data.failRate !== undefined) patch.failRate = parsed.data.failRate;
    if (parsed.data.latencyMs !== undefined) patch.latencyMs = parsed.data.latencyMs;
    if (parsed.data.down !== undefined) patch.down = parsed.data.down;
    if (parsed.data.loseAnswerRate !== undefined) patch.loseAnswerRate = parsed.data.loseAnswerRate;
    return control.set(patch);
  });
  app.post('/admin/reset', async () => {
    control.reset();
    return control.current();
  });
  app.get('/admin/stats', async () => ({ calls, abandoned, ...options.stats() }));
  return control;
}

/** Turns a zod failure into the simulators' 400 body. */
export function invalidRequest(error: z.ZodError): { error: 'INVALID_REQUEST'; issues: string[] } {
  return { error: 'INVALID_REQUEST', issues: error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) };
}
