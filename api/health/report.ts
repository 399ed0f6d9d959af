import type { AppDeps } from '../deps';
import { aggregateStatus } from '../../resilience/health-checker';
import { CHECK_TIMEOUT_MS, checkDatabase, checkExternalServices, checkTemporal, checkWorkers, type HealthStatus } from './checks';

/**
 * The whole health report. `checks` decide `status` by seed 003's rule: any DOWN → DOWN, else
 * any UNKNOWN → UNKNOWN, else UP. The vendors are reported beside them and do not count: an
 * outage of theirs degrades sagas (fallbacks answer, or the saga compensates) and is the same
 * for every API instance, so a load balancer that acted on it would take them all out at once.
 */
export async function runHealthChecks(deps: Pick<AppDeps, 'db' | 'temporal' | 'sagas' | 'healthCheckTimeoutMs'>) {
  const timeoutMs = deps.healthCheckTimeoutMs ?? CHECK_TIMEOUT_MS;
  const [temporal, database, workers, externalServices] = await Promise.all([
    checkTemporal(deps.temporal, timeoutMs),
    checkDatabase(deps.db, timeoutMs),
    checkWorkers(deps.temporal, deps.sagas.taskQueue, timeoutMs),
    checkExternalServices(deps.db, timeoutMs),
  ]);
  const checks = { temporal, database, workers };
  return { status: aggregateStatus(Object.values(checks).map((c) => c.status)), checks, externalServices };
}

export type HealthReport = Awaited<ReturnType<typeof runHealthChecks>>;

/**
 * 200 only for UP. UNKNOWN is 503 like DOWN: a load balancer or readiness probe should send
 * traffic where the platform is known to work, and UNKNOWN is not known (README, "Health").
 */
export const httpStatus = (status: HealthStatus) => (status === 'UP' ? 200 : 503);
