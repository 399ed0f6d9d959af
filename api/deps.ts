import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { Domains } from '../domains';
import type { SagaClient } from '../temporal/saga-client';
import type { AuthOptions } from './plugins/auth';
import type { RateLimits } from './plugins/rate-limits';

/** What the API needs from the outside world; tests build it against real servers. */
export interface AppDeps {
  db: Db;
  domains: Domains;
  temporal: Client;
  sagas: SagaClient;
  /** Fault-switch admin routes (development and tests only). */
  faultsEnabled: boolean;
  auth: AuthOptions;
  /** Requests per minute of the routes a hostile client would hammer (login, registration, saga starts). */
  rateLimits: RateLimits;
  /** When set, GET /metrics needs it as a bearer token (METRICS_TOKEN). */
  metricsToken?: string | undefined;
  /** How long each /health check waits for its dependency before it reads DOWN (HEALTH_CHECK_TIMEOUT_MS; 2 s). */
  healthCheckTimeoutMs?: number | undefined;
}
