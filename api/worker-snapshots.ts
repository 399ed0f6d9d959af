import type { Db } from '../db/client';
import type { ResilienceSnapshot } from '../resilience';

export interface WorkerView {
  workerId: string;
  updatedAt: string;
  snapshot: ResilienceSnapshot & { databaseBreaker?: unknown };
}

/** Snapshots older than this are from workers that stopped without saying so. */
const STALE_AFTER_MS = 30_000;

/** The resilience snapshots of the workers alive now, freshest first. */
export async function readWorkerSnapshots(db: Db): Promise<WorkerView[]> {
  const rows = await db.workerSnapshot.findMany({
    where: { updatedAt: { gte: new Date(Date.now() - STALE_AFTER_MS) } },
    orderBy: { updatedAt: 'desc' },
  });
  return rows.map((row) => ({ workerId: row.workerId, updatedAt: row.updatedAt.toISOString(), snapshot: JSON.parse(row.snapshot) }));
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Per external service, as the freshest worker sees them: its aggregate health, when its
 * instances were last probed (`checkedAt`), each instance's health and the breaker state.
 */
export function summariseExternalServices(workers: WorkerView[]) {
  const freshest = workers[0];
  if (!freshest) return {};
  return Object.fromEntries(
    Object.entries(freshest.snapshot.services).map(([name, service]) => {
      const probed = service.instances.map((i) => i.lastCheckedAt).filter((t): t is number => t !== null);
      return [
        name,
        {
          status: service.status,
          checkedAt: iso(probed.length > 0 ? Math.max(...probed) : null),
          breaker: service.breaker.state,
          instances: service.instances.map((i) => ({
            id: i.id,
            url: i.url,
            status: i.status,
            inRotation: i.inRotation,
            checkedAt: iso(i.lastCheckedAt),
            ...(i.lastError !== null && { error: i.lastError }),
          })),
        },
      ];
    }),
  );
}
