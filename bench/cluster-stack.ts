import { join } from 'node:path';
import pg from 'pg';
import { clientEnv, clusterPids, readEnvFile, startCluster, stopCluster } from '../scripts/cluster';
import type { Engine } from './engine';

/**
 * The bench's engine on the cluster profile (`--stack cluster`): scripts/cluster.sh on free
 * ports in DIR/cluster (PostgreSQL, frontend, history, matching and worker services, mutual TLS),
 * the platform's database migrated on its PostgreSQL server (scripts/cluster.ts, as the cluster
 * suite starts it). Measured per process: the four Temporal services, and PostgreSQL as its
 * postmaster with every backend (a process tree).
 */
export async function startClusterEngine(dir: string, keep: boolean, log: (line: string) => void): Promise<Engine> {
  const clusterDir = join(dir, 'cluster');
  const logFile = join(dir, 'cluster.log');
  const stop = () => stopCluster(clusterDir, { remove: !keep, logFile });
  const started = performance.now();
  log(`Temporal cluster in ${clusterDir} (scripts/cluster.sh; log ${logFile})`);
  try {
    const { env } = await startCluster(clusterDir, logFile);
    const startupMs = Math.round(performance.now() - started);
    const ports = readEnvFile(join(clusterDir, 'ports.env'));
    const { temporal, postmaster } = clusterPids(clusterDir);
    log(`cluster up in ${startupMs} ms: frontend ${env.TEMPORAL_ADDRESS} (mutual TLS), PostgreSQL postmaster pid ${postmaster}`);
    return {
      temporalAddress: env.TEMPORAL_ADDRESS!,
      clientEnv: clientEnv(env),
      databaseUrl: env.DATABASE_URL!,
      startupMs: { cluster: startupMs },
      metricsUrls: Object.fromEntries(
        (['frontend', 'history', 'matching', 'worker'] as const).map((s) => [`temporal-${s}`, `http://127.0.0.1:${ports[`PORT_METRICS_${s.toUpperCase()}`]}/metrics`]),
      ),
      // The Temporal worker service is `temporal-worker`, apart from the saga workers.
      pids: () => ({
        frontend: temporal.frontend,
        history: temporal.history,
        matching: temporal.matching,
        'temporal-worker': temporal.worker,
        postgres: { tree: postmaster },
      }),
      databaseSizes: async () => {
        const client = new pg.Client({ connectionString: env.DATABASE_URL });
        await client.connect();
        try {
          const { rows } = await client.query<{ name: string; bytes: string }>(
            "SELECT datname AS name, pg_database_size(datname) AS bytes FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')",
          );
          return Object.fromEntries(rows.map((r) => [r.name, Math.round((10 * Number(r.bytes)) / 2 ** 20) / 10]));
        } finally {
          await client.end();
        }
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
