import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { Domains } from '../domains';
import type { SagaClient } from '../temporal/saga-client';
import type { AuthOptions } from './plugins/auth';

/** What the API needs from the outside world; tests build it against real servers. */
export interface AppDeps {
  db: Db;
  domains: Domains;
  temporal: Client;
  sagas: SagaClient;
  /** Fault-switch admin routes (development and tests only). */
  faultsEnabled: boolean;
  auth: AuthOptions;
  /** Login attempts per client and minute. */
  loginRateLimit: number;
}
