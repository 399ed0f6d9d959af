import type { ProcessRef } from './proc';

/**
 * What runs the workflows and holds the platform's data: the dev server with SQLite files
 * (startDevEngine in bench/stack.ts), or the cluster profile with PostgreSQL (bench/cluster-stack.ts).
 */
export interface Engine {
  temporalAddress: string;
  /** What a client needs beyond the address (the cluster's TLS variables); every bench process gets it. */
  clientEnv: Record<string, string>;
  /** The platform's database, migrated. */
  databaseUrl: string;
  startupMs: Record<string, number>;
  /** The server's Prometheus endpoints. */
  metricsUrls: Record<string, string>;
  /** Its processes, as measured: a PostgreSQL server is its whole process tree. */
  pids(): Record<string, ProcessRef>;
  /** Sizes of the databases (MiB). */
  databaseSizes(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}
