/**
 * The load generator: a child process of bench/run.ts (IPC), so that its CPU is its own and
 * counted apart. Drives the HTTP API (sagas) or the Temporal client (the engine baseline),
 * either as a closed loop of C clients for a fixed time, or open loop at a fixed arrival rate.
 *
 * Latency of a saga: from sending its request to its final answer (201/409, or after a 202 the
 * first GET /sagas/:id that shows a final status).
 */
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createApiClient, type ApiClient } from '../client';
import { PLATE_LETTERS } from '../domains/plates';
import { connectClient, temporalSecurity } from '../temporal/connection';
import { FINAL_STATUSES, SagaStatusKey, SagaTypeKey, orderContract, reservationContract, vehicleEntryContract, vehicleExitContract } from '../workflows/contracts';
import { baselineActivities } from './baseline-activities';
import { baselineAnswer } from './baseline-workflow';
import { FAIR_PLANS, RESERVATION_HOLD_MS, type FairPlan } from './fair-baselines';

export type SagaWorkload = 'entry' | 'entry-exit' | 'order' | 'reservation' | 'mix';
/** A saga workload's fair baseline: the engine running the same steps (bench/fair-baselines.ts). */
export type FairWorkload = `fair-${SagaWorkload}`;
export type Workload = 'baseline' | 'baseline-sa' | 'baseline-eager' | SagaWorkload | FairWorkload;

/** The fair baseline of a saga workload. */
export const fairOf = (workload: SagaWorkload): FairWorkload => `fair-${workload}`;

export interface InitMessage {
  type: 'init';
  apiUrl: string;
  deviceKey: string;
  adminToken: string;
  userToken: string;
  /** Users who book the reservations, each up to `reservationsPerUser` at a time. */
  reservationUserTokens: string[];
  reservationsPerUser: number;
  temporalAddress: string;
  baselineTaskQueue: string;
  /** The baseline's workflow bundle, for the in-process worker of baseline-eager. */
  baselineBundlePath: string;
  /** Keeps request ids and plates of different runs apart. */
  runId: string;
}

export interface RunMessage {
  type: 'run';
  workload: Workload;
  /** Closed loop: this many clients. */
  concurrency?: number;
  /** Open loop: this many sagas per second. */
  rate?: number;
  durationMs: number;
  /** Lots the vehicle sagas use, client i on lots[i % n]. */
  lots: string[];
  products: string[];
  baselineMode: 'update-with-start' | 'execute';
  timeoutMs: number;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  workload: Workload;
  concurrency?: number;
  rate?: number;
  /** The measuring window, seconds. */
  windowS: number;
  /** Sagas answered 201/409 (or finally after 202) within the window. */
  completedInWindow: number;
  /** completedInWindow / windowS. */
  throughput: number;
  /** Sagas that ended COMPLETED within the window, per second. */
  goodput: number;
  latency: LatencySummary;
  byType: Record<string, LatencySummary>;
  /** HTTP status counts ("grpc-ok", "timeout", "network" for the others). */
  statuses: Record<string, number>;
  /** 409s by reason (none expected: every workload is made to succeed). */
  rejections: Record<string, number>;
  /** Failed requests: unexpected status, network error, timeout. */
  errors: number;
  errorSamples: string[];
  /** Answers that were 202 (not final) and needed GET /sagas/:id polling. */
  followUps: number;
  /** Open loop: arrivals dropped because too many were in flight. */
  dropped: number;
  /** A few answered sagas of each type, spread over the window, for bench/anatomy.ts. */
  sample: Array<{ type: string; id: string; latencyMs: number }>;
}

interface SagaRecord {
  type: string;
  /** The workflow id (saga id). */
  id?: string;
  start: number;
  end: number;
  outcome: 'ok' | 'rejected' | 'error';
  status: string;
  reason?: string;
  followUp?: boolean;
  error?: string;
}

const FINAL = new Set<string>(FINAL_STATUSES);
let init: InitMessage;
/** The API, through the typed client (fetch keeps its connections alive). */
let api: { device: ApiClient; user: ApiClient; admin: ApiClient; bookers: ApiClient[] };
let reservationsMade = 0;
let temporal: Client | undefined;
let counter = 0;

/** A fresh, valid, unique Turkish plate: province 01–81, three letters, three digits (about 8.9e8 of them). */
function freshPlate(): string {
  const n = counter++;
  const seed = Number.parseInt(init.runId.replace(/[^0-9]/g, '').slice(-6) || '0', 10);
  const k = n + seed * 1_000_003;
  const province = String(1 + (Math.floor(k / 900) % 81)).padStart(2, '0');
  const l = (i: number) => PLATE_LETTERS[Math.floor(k / (900 * 81 * PLATE_LETTERS.length ** i)) % PLATE_LETTERS.length];
  return `${province}${l(0)}${l(1)}${l(2)}${100 + (k % 900)}`;
}

const requestId = (prefix: string) => `${prefix}-${init.runId}-${counter++}`;

type SagaPost = (signal: AbortSignal) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

/** POSTs a saga command and follows a 202 up until the saga is final. */
async function sagaRequest(type: string, post: SagaPost, timeoutMs: number): Promise<SagaRecord> {
  const start = performance.now();
  try {
    const res = await post(AbortSignal.timeout(timeoutMs));
    let status = String(res.response.status);
    let json = (res.data ?? res.error ?? {}) as Record<string, unknown>;
    let followUp = false;
    if (res.response.status === 202) {
      followUp = true;
      const sagaId = String(json.sagaId);
      for (;;) {
        if (performance.now() - start > timeoutMs) return { type, start, end: performance.now(), outcome: 'error', status: 'timeout', followUp, error: `${sagaId} not final` };
        await new Promise((r) => setTimeout(r, 50));
        const state = await api.admin.GET('/sagas/{id}', { params: { path: { id: sagaId } }, signal: AbortSignal.timeout(timeoutMs) });
        if (state.data && FINAL.has(state.data.status)) {
          json = state.data;
          status = state.data.status === 'COMPLETED' ? '201' : '409';
          break;
        }
      }
    }
    const end = performance.now();
    const id = typeof json.sagaId === 'string' ? json.sagaId : undefined;
    if (status === '201') return { type, id, start, end, outcome: 'ok', status, followUp };
    if (status === '409') return { type, id, start, end, outcome: 'rejected', status, reason: String(json.reason ?? json.status), followUp };
    return { type, id, start, end, outcome: 'error', status, followUp, error: `${status} ${JSON.stringify(json).slice(0, 200)}` };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    const message = err instanceof Error ? err.message : String(err);
    return { type, start, end: performance.now(), outcome: 'error', status: timedOut ? 'timeout' : 'network', error: message };
  }
}

/**
 * Today's baseline (`baselineEntry`, 4 no-op activities), or with `plan` a fair baseline
 * (`baselineSteps`): started and answered like the API starts a saga.
 */
async function baselineSaga(mode: RunMessage['baselineMode'], taskQueue: string, timeoutMs: number, searchAttributes: boolean, plan?: FairPlan): Promise<SagaRecord> {
  const start = performance.now();
  const workflowId = requestId(plan ? 'fair' : 'baseline');
  const type = plan?.type ?? 'Baseline';
  const workflowType = plan ? 'baselineSteps' : 'baselineEntry';
  const args = [plan ? { id: workflowId, steps: plan.steps, ...(plan.holdMs && { holdMs: plan.holdMs }) } : { id: workflowId, searchAttributes }];
  // As the API starts sagas: type and status set at the start (baseline-sa only).
  const typedSearchAttributes = searchAttributes
    ? [
        { key: SagaTypeKey, value: 'Baseline' },
        { key: SagaStatusKey, value: 'RUNNING' },
      ]
    : [];
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  try {
    const client = temporal!;
    if (mode === 'execute') {
      await client.workflow.execute(workflowType, { taskQueue, workflowId, args, typedSearchAttributes });
    } else {
      const startWorkflowOperation = new WithStartWorkflowOperation(workflowType, {
        taskQueue,
        workflowId,
        args,
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes,
      });
      await client.withAbortSignal(stop.signal, () => client.workflow.executeUpdateWithStart(baselineAnswer, { startWorkflowOperation }));
    }
    return { type, id: workflowId, start, end: performance.now(), outcome: 'ok', status: 'grpc-ok' };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { type, start, end: performance.now(), outcome: 'error', status: stop.signal.aborted ? 'timeout' : 'grpc-error', error: message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * baseline-eager: eager workflow start needs the client and a worker on one NativeConnection in
 * one process, so this process runs its own baseline worker (its CPU counts as the load
 * generator's) and starts with requestEagerStart: the first workflow task comes back in the
 * start call's answer instead of through matching. (The API cannot do this: it starts sagas with
 * update-with-start, and it runs no worker.)
 */
let eager: { client: Client; worker: Worker; running: Promise<void>; taskQueue: string } | undefined;
async function eagerSetup() {
  if (eager) return eager;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: init.temporalAddress, ...temporalSecurity() });
  const taskQueue = `${init.baselineTaskQueue}-eager`;
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: { codePath: init.baselineBundlePath }, activities: baselineActivities });
  eager = { client: new Client({ connection }), worker, running: worker.run(), taskQueue };
  return eager;
}

async function baselineEager(timeoutMs: number): Promise<SagaRecord> {
  const start = performance.now();
  const workflowId = requestId('eager');
  try {
    const { client, taskQueue } = await eagerSetup();
    const handle = await client.workflow.start('baselineEntry', { taskQueue, workflowId, args: [{ id: workflowId }], requestEagerStart: true });
    await Promise.race([handle.result(), new Promise((_, fail) => setTimeout(() => fail(new Error('timeout')), timeoutMs).unref())]);
    return { type: 'Baseline', id: workflowId, start, end: performance.now(), outcome: 'ok', status: handle.eagerlyStarted ? 'eager' : 'not-eager' };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { type: 'Baseline', start, end: performance.now(), outcome: 'error', status: message === 'timeout' ? 'timeout' : 'grpc-error', error: message };
  }
}

/** One unit of work of a workload (a pair is two sagas); `slot` picks the lot and, for the mix, the kind. */
function operation(run: RunMessage, slot: number, iteration: number): () => Promise<SagaRecord[]> {
  const lot = run.lots.length > 0 ? run.lots[slot % run.lots.length]! : '';
  const entry = (plate: string) =>
    sagaRequest(vehicleEntryContract.type, (signal) => api.device.POST('/vehicle-entries', { body: { lotId: lot, plate, requestId: requestId('e') }, signal }), run.timeoutMs);
  const exit = (plate: string) =>
    sagaRequest(vehicleExitContract.type, (signal) => api.device.POST('/vehicle-exits', { body: { lotId: lot, plate, requestId: requestId('x') }, signal }), run.timeoutMs);
  const pair = async () => {
    const plate = freshPlate();
    const entered = await entry(plate);
    return entered.outcome === 'ok' ? [entered, await exit(plate)] : [entered];
  };
  const fair = (plan: FairPlan) => baselineSaga(run.baselineMode, init.baselineTaskQueue, run.timeoutMs, false, plan);
  const fairPair = async () => {
    const entered = await fair(FAIR_PLANS.entry);
    return entered.outcome === 'ok' ? [entered, await fair(FAIR_PLANS.exit)] : [entered];
  };
  const fairOrder = async () => [await fair(FAIR_PLANS.order)];
  // A fresh plate, registered to its user first (not timed), books a space on the lot from a
  // minute ago for an hour: answered once paid (the saga then waits for the car).
  const reservation = async () => {
    const booker = api.bookers[Math.floor(reservationsMade++ / init.reservationsPerUser)];
    if (!booker) throw new Error('the bench ran out of reservation users: raise their number in bench/run.ts');
    const plate = freshPlate();
    const start = performance.now();
    const registered = await booker.POST('/vehicles', { body: { plate, ownerName: 'Bench' } }).catch((err: unknown) => ({ response: { ok: false, status: String(err) } }));
    if (!registered.response.ok) {
      return [{ type: reservationContract.type, start, end: performance.now(), outcome: 'error' as const, status: String(registered.response.status), error: `POST /vehicles answered ${registered.response.status}` }];
    }
    const now = Date.now();
    const body = { lotId: lot, plate, startsAt: new Date(now - 60_000).toISOString(), endsAt: new Date(now + RESERVATION_HOLD_MS).toISOString(), requestId: requestId('r') };
    return [await sagaRequest(reservationContract.type, (signal) => booker.POST('/reservations', { body, signal }), run.timeoutMs)];
  };
  const order = async () => {
    const productId = run.products[(slot + iteration) % run.products.length]!;
    const body = { items: [{ productId, quantity: 1 }], requestId: requestId('o') };
    return [await sagaRequest(orderContract.type, (signal) => api.user.POST('/orders', { body, signal }), run.timeoutMs)];
  };
  switch (run.workload) {
    case 'baseline-eager':
      return async () => [await baselineEager(run.timeoutMs)];
    case 'baseline':
    case 'baseline-sa':
      return async () => [await baselineSaga(run.baselineMode, init.baselineTaskQueue, run.timeoutMs, run.workload === 'baseline-sa')];
    case 'entry':
      return async () => [await entry(freshPlate())];
    case 'entry-exit':
      return pair;
    case 'order':
      return order;
    case 'mix':
      return (slot + iteration) % 2 === 0 ? pair : order;
    case 'fair-entry':
      return async () => [await fair(FAIR_PLANS.entry)];
    case 'fair-entry-exit':
      return fairPair;
    case 'fair-order':
      return fairOrder;
    case 'reservation':
      return reservation;
    case 'fair-reservation':
      return async () => [await fair(FAIR_PLANS.reservation)];
    case 'fair-mix':
      return (slot + iteration) % 2 === 0 ? fairPair : fairOrder;
  }
}

function summarize(latencies: number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    count: sorted.length,
    mean: r(sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length)),
    p50: r(at(0.5)),
    p95: r(at(0.95)),
    p99: r(at(0.99)),
    max: r(sorted.at(-1) ?? 0),
  };
}

async function runLoad(run: RunMessage): Promise<LoadResult> {
  const records: SagaRecord[] = [];
  const t0 = performance.now();
  const deadline = t0 + run.durationMs;
  let dropped = 0;
  if (run.rate) {
    // Open loop: arrivals on a fixed schedule, whatever the answers do; latency counts from the
    // scheduled arrival, so that a late loop shows up as latency, not as fewer requests.
    const sagasPerOp = run.workload.endsWith('entry-exit') ? 2 : run.workload.endsWith('mix') ? 1.5 : 1;
    const interval = (1000 * sagasPerOp) / run.rate;
    const inFlight = new Set<Promise<void>>();
    for (let k = 0; ; k++) {
      const due = t0 + k * interval;
      if (due >= deadline) break;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (inFlight.size >= 2000) {
        dropped++;
        continue;
      }
      const p = operation(run, k, 0)()
        .then((rs) => {
          if (rs[0]) rs[0].start = Math.min(rs[0].start, due);
          records.push(...rs);
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  } else {
    const clients = Array.from({ length: run.concurrency ?? 1 }, async (_, slot) => {
      for (let i = 0; performance.now() < deadline; i++) records.push(...(await operation(run, slot, i)()));
    });
    await Promise.all(clients);
  }
  const windowS = run.durationMs / 1000;
  const answered = records.filter((r) => r.outcome !== 'error');
  const inWindow = answered.filter((r) => r.end <= deadline);
  const statuses: Record<string, number> = {};
  const rejections: Record<string, number> = {};
  for (const r of records) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.outcome === 'rejected') rejections[r.reason ?? '?'] = (rejections[r.reason ?? '?'] ?? 0) + 1;
  }
  const byType: Record<string, LatencySummary> = {};
  for (const type of new Set(records.map((r) => r.type))) {
    byType[type] = summarize(answered.filter((r) => r.type === type).map((r) => r.end - r.start));
  }
  const errors = records.filter((r) => r.outcome === 'error');
  return {
    workload: run.workload,
    ...(run.concurrency !== undefined && { concurrency: run.concurrency }),
    ...(run.rate !== undefined && { rate: run.rate }),
    windowS,
    completedInWindow: inWindow.length,
    throughput: Math.round((10 * inWindow.length) / windowS) / 10,
    goodput: Math.round((10 * inWindow.filter((r) => r.outcome === 'ok').length) / windowS) / 10,
    latency: summarize(answered.map((r) => r.end - r.start)),
    byType,
    statuses,
    rejections,
    errors: errors.length,
    errorSamples: [...new Set(errors.map((e) => `${e.type}: ${e.error}`))].slice(0, 5),
    followUps: records.filter((r) => r.followUp).length,
    dropped,
    sample: [...new Set(records.map((r) => r.type))].flatMap((type) => {
      const ok = records.filter((r) => r.type === type && r.outcome === 'ok' && r.id);
      const every = Math.max(1, Math.floor(ok.length / 15));
      return ok.filter((_, i) => i % every === 0).slice(0, 15).map((r) => ({ type, id: r.id!, latencyMs: Math.round(r.end - r.start) }));
    }),
  };
}

process.on('message', (message: InitMessage | RunMessage) => {
  void (async () => {
    try {
      if (message.type === 'init') {
        init = message;
        const baseUrl = message.apiUrl.replace(/\/$/, '');
        api = {
          device: createApiClient({ baseUrl, deviceKey: message.deviceKey }),
          user: createApiClient({ baseUrl, token: message.userToken }),
          admin: createApiClient({ baseUrl, token: message.adminToken }),
          bookers: message.reservationUserTokens.map((token) => createApiClient({ baseUrl, token })),
        };
        temporal = await connectClient({ address: message.temporalAddress, namespace: 'default' });
        process.send!({ type: 'ready' });
      } else {
        process.send!({ type: 'result', result: await runLoad(message) });
      }
    } catch (err) {
      process.send!({ type: 'failed', error: err instanceof Error ? err.stack : String(err) });
    }
  })();
});
process.on('disconnect', () => {
  eager?.worker.shutdown();
  void Promise.race([eager?.running, new Promise((r) => setTimeout(r, 3000))]).finally(() => process.exit(0));
});
