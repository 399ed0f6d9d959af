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

/** Per external service: its aggregate health, each instance's health and the breaker state, as the freshest worker sees them. */
export function summariseExternalServices(workers: WorkerView[]) {
  const freshest = workers[0];
  if (!freshest) return {};
  return Object.fromEntries(
    Object.entries(freshest.snapshot.services).map(([name, service]) => [
      name,
      {
        status: service.status,
        breaker: service.breaker.state,
        instances: service.instances.map((i) => ({ id: i.id, url: i.url, status: i.status, inRotation: i.inRotation })),
      },
    ]),
  );
}
