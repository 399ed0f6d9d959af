import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The cluster profile from TypeScript (scripts/cluster.sh), for the cluster suite's global setup
 * and `npm run bench -- --stack cluster`: start a cluster on free ports in a folder, read what
 * its clients need, migrate the platform's database on its PostgreSQL server; stop it.
 */
export interface Cluster {
  dir: string;
  /** DIR/cluster.env: TEMPORAL_ADDRESS, the TLS variables, TEMPORAL_UI_URL, DATABASE_URL. */
  env: Record<string, string>;
  /** The PostgreSQL server's maintenance database (`postgres`), for making more databases. */
  serverUrl: string;
}

/** The variables through which every client of the cluster reaches it: the temporal CLI's, read by temporal/connection.ts too. */
export const CLIENT_VARIABLES = [
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
] as const;

/** The Temporal services, as scripts/cluster.sh names their pid files (DIR/run/<name>.pid). */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

export function readEnvFile(file: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The client variables of a cluster's env (to add to a client process's environment). */
export function clientEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(CLIENT_VARIABLES.map((name) => [name, env[name]!]));
}

/** Runs a script of ours; its output goes to `logFile`, or to this process's stderr ('quiet': kept, shown only if it fails). */
function run(args: string[], env: NodeJS.ProcessEnv, logFile?: string | 'quiet'): Promise<void> {
  const out = logFile === 'quiet' ? 'pipe' : logFile ? openSync(logFile, 'a') : 'inherit';
  return new Promise((ok, fail) => {
    const child = spawn(args[0]!, args.slice(1), { cwd: ROOT, env, stdio: ['ignore', out, out === 'inherit' ? 'inherit' : out] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += String(d)));
    child.stderr?.on('data', (d: Buffer) => (output += String(d)));
    child.on('error', fail);
    child.on('exit', (code, signal) =>
      code === 0
        ? ok()
        : fail(new Error(`${args.join(' ')} failed (${code ?? signal})${logFile === 'quiet' ? `:\n${output}` : logFile ? `; see ${logFile}` : ''}`)),
    );
  });
}

/** Starts a cluster in `dir` on free ports (CLUSTER_PORTS=auto) and migrates the platform's database ("saga") on its PostgreSQL server. */
export async function startCluster(dir: string, logFile?: string): Promise<Cluster> {
  await run(['./scripts/cluster.sh', 'start', dir], { ...process.env, CLUSTER_PORTS: 'auto' }, logFile);
  const env = readEnvFile(join(dir, 'cluster.env'));
  await run(['npx', 'prisma', 'migrate', 'deploy'], { ...process.env, DATABASE_URL: env.DATABASE_URL }, logFile ?? 'quiet');
  return { dir, env, serverUrl: readFileSync(join(dir, 'postgres.url'), 'utf8').trim() };
}

/** Stops the cluster's processes and its PostgreSQL server; `remove` also deletes the server's data (DIR itself stays). */
export async function stopCluster(dir: string, options: { remove: boolean; logFile?: string }): Promise<void> {
  await run(['./scripts/cluster.sh', 'stop', dir], process.env, options.logFile);
  if (options.remove) await run(['./scripts/postgres.sh', 'stop', join(dir, 'postgres')], process.env, options.logFile);
}

/** The process ids of the cluster's Temporal services (from DIR/run) and of its PostgreSQL server (the postmaster). */
export function clusterPids(dir: string): { temporal: Record<(typeof TEMPORAL_SERVICES)[number], number>; postmaster: number } {
  const pidOf = (file: string) => Number(readFileSync(file, 'utf8').split('\n')[0]!.trim());
  return {
    temporal: Object.fromEntries(TEMPORAL_SERVICES.map((name) => [name, pidOf(join(dir, 'run', `${name}.pid`))])) as Record<(typeof TEMPORAL_SERVICES)[number], number>,
    postmaster: pidOf(join(dir, 'postgres', 'data', 'postmaster.pid')),
  };
}
