/**
 * The checks behind GET /health. Each answers UP, DOWN or UNKNOWN (seed 003) with when it ran
 * and how long it took; none throws and none outlasts its deadline, so that a hung dependency
 * reads as DOWN instead of hanging /health.
 */
import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { pingDb, type Db } from '../../db/client';
import { aggregateStatus, type InstanceHealthStatus } from '../../resilience/health-checker';
import { pingTemporal } from '../../temporal/connection';
import { readWorkerSnapshots, summariseExternalServices } from '../worker-snapshots';

export type HealthStatus = InstanceHealthStatus;

export interface CheckResult {
  status: HealthStatus;
  /** When the check started (ISO). */
  checkedAt: string;
  durationMs: number;
  /** Why it is not UP. */
  error?: string;
}

/** How long a check waits for its dependency by default (HEALTH_CHECK_TIMEOUT_MS). */
export const CHECK_TIMEOUT_MS = 2000;

/**
 * A worker re-polls at least once per long poll (the server holds a poll at most 60 s), and
 * the server keeps a poller listed for minutes after its worker died: a poller whose last
 * poll began longer ago than this is taken for gone.
 */
export const POLLER_FRESH_MS = 90_000;

/**
 * Runs `probe` with a deadline. What it answers is the status (with its details); a throw or
 * the deadline is `onError`: DOWN for a dependency that failed, UNKNOWN where the failure only
 * means the check could not find out.
 */
async function timed<T extends object>(
  probe: (signal: AbortSignal) => Promise<{ status: HealthStatus; error?: string } & T>,
  onError: HealthStatus,
  timeoutMs: number,
): Promise<CheckResult & Partial<T>> {
  const started = Date.now();
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  let outcome: { status: HealthStatus; error?: string } & Partial<T>;
  try {
    outcome = await Promise.race([probe(abort.signal), deadline]);
  } catch (err) {
    outcome = { status: onError, error: reason(err) } as typeof outcome;
  } finally {
    clearTimeout(timer);
  }
  const { status, ...details } = outcome;
  return { status, checkedAt: new Date(started).toISOString(), durationMs: Date.now() - started, ...details } as CheckResult & Partial<T>;
}

/** An error's last line, at most 300 characters: Prisma's messages put the cause last, after pages of call site. */
function reason(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim());
  return (lines.filter(Boolean).pop() ?? 'failed').slice(0, 300);
}

/** The Temporal frontend answers. */
export const checkTemporal = (client: Client, timeoutMs: number) =>
  timed(async (signal) => {
    await client.withAbortSignal(signal, () => pingTemporal(client));
    return { status: 'UP' as const };
  }, 'DOWN', timeoutMs);

/** The database takes a query. */
export const checkDatabase = (db: Db, timeoutMs: number) =>
  timed(async () => {
    await pingDb(db);
    return { status: 'UP' as const };
  }, 'DOWN', timeoutMs);

export interface Poller {
  identity: string;
  lastAccessAt: string;
}

/** The pollers that polled within POLLER_FRESH_MS of `now`. */
export function livePollers(pollers: Array<{ identity?: string | null; lastAccessMs?: number }>, now: number): Poller[] {
  return pollers
    .filter((p) => p.lastAccessMs !== undefined && now - p.lastAccessMs <= POLLER_FRESH_MS)
    .map((p) => ({ identity: p.identity ?? '', lastAccessAt: new Date(p.lastAccessMs!).toISOString() }));
}

/**
 * At least one worker polls the saga task queue (for workflow tasks, the default type): DOWN
 * when none does, since sagas would start and never run. UNKNOWN when Temporal cannot be asked.
 */
export const checkWorkers = (client: Client, taskQueue: string, timeoutMs: number) =>
  timed(async (signal) => {
    const described = await client.withAbortSignal(signal, () =>
      client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: taskQueue } }),
    );
    const pollers = livePollers(
      described.pollers.map((p) => ({ identity: p.identity, lastAccessMs: optionalTsToMs(p.lastAccessTime) })),
      Date.now(),
    );
    return pollers.length > 0
      ? { status: 'UP' as const, taskQueue, pollers }
      : { status: 'DOWN' as const, taskQueue, pollers, error: `no worker polled task queue ${taskQueue} in the last ${POLLER_FRESH_MS / 1000} s` };
  }, 'UNKNOWN', timeoutMs);

/**
 * The vendors as the freshest worker's health checks see them (seed 003's rule across the
 * services). UNKNOWN when no worker published lately or the snapshots cannot be read.
 */
export const checkExternalServices = (db: Db, timeoutMs: number) =>
  timed(async () => {
    const workers = await readWorkerSnapshots(db);
    const services = summariseExternalServices(workers);
    const freshest = workers[0];
    if (!freshest) return { status: 'UNKNOWN' as const, services, error: 'no worker published its view of the vendors lately' };
    return {
      status: aggregateStatus(Object.values(services).map((s) => s.status)),
      publishedBy: freshest.workerId,
      publishedAt: freshest.updatedAt,
      services,
    };
  }, 'UNKNOWN', timeoutMs);
