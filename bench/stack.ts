import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildPlatformJs } from '../scripts/build-js';
import { freePort, isPortOpen, stopProcess } from '../scripts/processes';
import { devServerArgs } from '../scripts/temporal-dev-server';
import { temporalSecurity } from '../temporal/connection';
import { buildWorkflowBundle } from '../workers/bundle';
import { startClusterEngine } from './cluster-stack';
import type { Engine } from './engine';
import type { ProcessRef } from './proc';
import { buildOrdinaryActivitiesBundle } from './variants/bundle';
import type { StatementCount } from '../db/statement-count';

const ROOT = resolve(import.meta.dirname, '..');
/** Each bench user may hold this many reservations at once (RESERVATION_MAX_ACTIVE_PER_USER of the API and the worker). */
export const RESERVATIONS_PER_USER = 1000;
const { temporal } = proto;

export interface StackOptions {
  /** Where the run keeps its databases, bundles and logs (.tmp/bench-*). */
  dir: string;
  /** Keep the engine's data when stopping (the cluster's PostgreSQL may live outside `dir`). */
  keep?: boolean;
  /** dev: the Temporal dev server on SQLite, a SQLite platform database (as make start); cluster: the cluster profile (bench/cluster-stack.ts). */
  kind: 'dev' | 'cluster';
  /** Saga worker processes on the saga task queue: worker, worker-2, ... */
  sagaWorkers: number;
  /** Dev server only: its SQLite pragmas journal_mode=wal and synchronous=normal (as make start runs it). */
  serverPragmas: boolean;
  /** Dev server only: its state in a SQLite file (as make start) or in memory (measurement only). */
  serverDb: 'file' | 'memory';
  /** Dev server only: extra dynamic config, KEY=JSON pairs (--dynamic-config-value). */
  serverDynamicConfig: string[];
  /** Env for both workers (WORKER_* tuning and the like). */
  workerEnv: Record<string, string>;
  /** Env for the API. */
  apiEnv: Record<string, string>;
  /** The sagas' local activities run as ordinary activities (bench/variants/ordinary-activities.ts). */
  ordinaryActivities: boolean;
  /** The saga bundle with the OpenTelemetry workflow interceptors, as a tracing worker has it (to weigh what they cost). */
  withWorkflowOtel: boolean;
  /** tsx: TypeScript through tsx at runtime (as make start); js: pre-built with esbuild, plain node. */
  runtime: 'tsx' | 'js';
  /** Components to CPU-profile (node --cpu-prof): worker, api, baseline-worker; profiles in <dir>/profiles/<name>. */
  profile: string[];
  /** The API and the saga worker count their database statements (DB_STATEMENT_COUNT_FILE). */
  countStatements?: boolean;
}

export interface Component {
  name: string;
  process: ChildProcess;
  log: string;
  /** Milliseconds from spawn to ready. */
  startupMs: number;
}

export interface Stack {
  kind: StackOptions['kind'];
  /** Where its databases, bundles, logs and profiles are. */
  dir: string;
  apiUrl: string;
  temporalAddress: string;
  /** Client variables for any process of the bench that talks to Temporal (the load generator, its own client). */
  clientEnv: Record<string, string>;
  sagaTaskQueue: string;
  baselineTaskQueue: string;
  baselineBundlePath: string;
  /** Milliseconds from start to ready, by component. */
  startupMs: Record<string, number>;
  /** The workers' and the server's Prometheus endpoints, by name. */
  metricsUrls: Record<string, string>;
  /** Every process of the stack, by name (the engine's and the platform's). */
  pids(): Record<string, ProcessRef>;
  /** The statements the API and the saga worker sent so far (empty unless countStatements). */
  statementCounts(): Record<string, StatementCount>;
  /** Sizes of the databases (MiB). */
  databaseSizes(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what}: the process exited (${child.exitCode ?? child.signalCode})`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Webpack takes a while on 2 cores: a bundle is reused from .tmp/bench-cache while the sources
 * it may include (workflows/, shared/, bench/, the lock file) are unchanged.
 */
async function cachedBundle(target: string, name: string, build: () => Promise<void>): Promise<void> {
  const hash = createHash('sha256').update(name);
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'results') walk(rel);
      else if (entry.isFile() && rel.endsWith('.ts')) hash.update(rel).update(readFileSync(join(ROOT, rel)));
    }
  };
  for (const dir of ['workflows', 'shared', 'bench', 'workers']) walk(dir);
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  const cached = join(ROOT, '.tmp', 'bench-cache', `${name}-${hash.digest('hex').slice(0, 16)}.js`);
  if (existsSync(cached)) return copyFile(cached, target);
  await build();
  await mkdir(dirname(cached), { recursive: true });
  await copyFile(target, cached);
}

const fileMiB = (path: string) => (existsSync(path) ? statSync(path).size / 2 ** 20 : 0);

/** Spawns a process of the stack, its output appended to DIR/<name>.log. */
function spawnLogged(dir: string, name: string, command: string, args: string[], env: Record<string, string>): Component {
  const logPath = join(dir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(command, args, { cwd: ROOT, env: { NODE_ENV: 'development', ...process.env, ...env }, stdio: ['ignore', fd, fd] });
  return { name, process: child, log: logPath, startupMs: 0 };
}

async function timed(component: Component, ready: () => Promise<void>): Promise<void> {
  const started = performance.now();
  await ready();
  component.startupMs = Math.round(performance.now() - started);
}

/** The dev server as scripts/temporal-dev-server.ts starts it (pragmas optional, plus dynamic config), and a migrated SQLite platform database. */
async function startDevEngine(options: StackOptions, log: (line: string) => void): Promise<Engine> {
  const { dir } = options;
  const temporalPort = await freePort();
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const databaseUrl = `file:${join(dir, 'platform.db')}`;
  let serverArgs = devServerArgs({ port: temporalPort, dbFile: join(dir, 'temporal.db') });
  if (!options.serverPragmas) {
    serverArgs = serverArgs.filter((arg, i) => arg !== '--sqlite-pragma' && serverArgs[i - 1] !== '--sqlite-pragma');
  }
  const serverMetricsPort = await freePort();
  serverArgs.push('--metrics-port', String(serverMetricsPort));
  if (options.serverDb === 'memory') {
    serverArgs = serverArgs.filter((arg, i) => arg !== '--db-filename' && serverArgs[i - 1] !== '--db-filename');
  }
  for (const kv of options.serverDynamicConfig) {
    // A key the defaults already set (e.g. the poll rate) takes the variant's value instead.
    const key = `${kv.split('=')[0]}=`;
    const at = serverArgs.findIndex((arg, i) => serverArgs[i - 1] === '--dynamic-config-value' && arg.startsWith(key));
    if (at > 0) serverArgs.splice(at - 1, 2);
    serverArgs.push('--dynamic-config-value', kv);
  }
  const server = spawnLogged(dir, 'temporal', resolve(ROOT, process.env.TEMPORAL_BIN ?? '.tools/bin/temporal'), serverArgs, {});
  log(`temporal dev server on ${temporalAddress} (${options.serverDb === 'memory' ? 'in-memory SQLite, ' : ''}${options.serverPragmas ? 'WAL, synchronous=normal' : 'default pragmas'}${options.serverDynamicConfig.length ? `, ${options.serverDynamicConfig.join(' ')}` : ''})`);
  const stop = () => stopProcess(server.process);
  try {
    const prismaEnv = { ...process.env, DATABASE_URL: databaseUrl, PRISMA_SCHEMA_ENGINE_BINARY: '/dev/null', PRISMA_QUERY_ENGINE_LIBRARY: '/dev/null', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
    await Promise.all([
      timed(server, () => waitFor('the Temporal dev server', () => isPortOpen(temporalPort), server.process)),
      promisify(execFile)('npx', ['prisma', 'migrate', 'deploy'], { cwd: ROOT, env: prismaEnv }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    temporalAddress,
    clientEnv: {},
    databaseUrl,
    startupMs: { temporal: server.startupMs },
    metricsUrls: { temporal: `http://127.0.0.1:${serverMetricsPort}/metrics` },
    pids: () => ({ temporal: server.process.pid! }),
    databaseSizes: async () => ({
      temporal: Math.round(10 * (fileMiB(join(dir, 'temporal.db')) + fileMiB(join(dir, 'temporal.db-wal')))) / 10,
      platform: Math.round(10 * (fileMiB(join(dir, 'platform.db')) + fileMiB(join(dir, 'platform.db-wal')))) / 10,
    }),
    stop,
  };
}

/**
 * Starts the whole platform for a benchmark, on free ports, in `dir`: the engine (the dev
 * server and a SQLite platform database, or the cluster profile), the vendor simulators, the
 * saga worker(s), the baseline worker and the API. Everything is stopped by stop(), in reverse order.
 */
export async function startStack(options: StackOptions, log: (line: string) => void): Promise<Stack> {
  const { dir } = options;
  await mkdir(dir, { recursive: true });
  const components: Component[] = [];
  let engine: Engine | undefined;
  const stop = async () => {
    for (const c of [...components].reverse()) await stopProcess(c.process);
    await engine?.stop();
  };
  const spawnComponent = (name: string, command: string, args: string[], env: Record<string, string>) => {
    const component = spawnLogged(dir, name, command, args, env);
    components.push(component);
    return component;
  };

  try {
    const ports = new Set<number>();
    while (ports.size < 7) ports.add(await freePort());
    const [apiPort, ...vendorPorts] = [...ports];
    const sagaBundle = join(dir, 'workflow-bundle.js');
    const baselineBundle = join(dir, 'baseline-bundle.js');
    const url = (p: number | undefined) => `http://127.0.0.1:${p}`;
    const vendors = {
      ANPR_URLS: [url(vendorPorts[0]), url(vendorPorts[1])].join(','),
      ANPR_BACKUP_URLS: url(vendorPorts[2]),
      PAYMENT_URLS: [url(vendorPorts[3]), url(vendorPorts[4])].join(','),
      PAYMENT_BACKUP_URLS: url(vendorPorts[5]),
    };

    // The engine starts while the bundles are built (or taken from the cache).
    await Promise.all([
      (async () => {
        engine = options.kind === 'cluster' ? await startClusterEngine(dir, options.keep ?? false, log) : await startDevEngine(options, log);
      })(),
      (async () => {
        if (options.ordinaryActivities) {
          await cachedBundle(sagaBundle, `ordinary-activities${options.withWorkflowOtel ? '-with-otel' : ''}`, async () => {
            await writeFile(sagaBundle, await buildOrdinaryActivitiesBundle({ otel: options.withWorkflowOtel }));
          });
        } else {
          const tracing = options.withWorkflowOtel;
          await cachedBundle(sagaBundle, tracing ? 'sagas-with-otel' : 'sagas', () => buildWorkflowBundle(sagaBundle, { tracing }));
        }
        await cachedBundle(baselineBundle, 'baseline', async () => {
          const { code } = await bundleWorkflowCode({ workflowsPath: join(ROOT, 'bench/baseline-workflow.ts'), logger: new DefaultLogger('WARN') });
          await writeFile(baselineBundle, code);
        });
      })(),
    ]);
    const { temporalAddress, databaseUrl, clientEnv } = engine!;
    log(
      `database migrated, workflow bundles built${options.ordinaryActivities ? ' (saga bundle: ordinary activities in place of local ones)' : ''}${options.withWorkflowOtel ? ' (saga bundle with the OpenTelemetry workflow interceptors)' : ''}`,
    );

    const js = options.runtime === 'js' ? await buildPlatformJs(join(dir, 'js')) : undefined;
    const nodeArgs = (name: string, entry: string, built?: string) => [
      ...(options.profile.includes(name) ? ['--cpu-prof', '--cpu-prof-interval=4000', `--cpu-prof-dir=${join(dir, 'profiles', name)}`] : []),
      ...(built ? [built] : ['--import', 'tsx', join(ROOT, entry)]),
    ];

    const simulators = spawnComponent('simulators', process.execPath, ['--import', 'tsx', join(ROOT, 'simulators/start.ts')], { ...vendors, LOG_LEVEL: 'warn' });
    await timed(simulators, () =>
      waitFor('the simulators', async () => (await Promise.all(vendorPorts.slice(0, 6).map((p) => isPortOpen(p!)))).every(Boolean), simulators.process),
    );

    const sagaTaskQueue = 'bench-sagas';
    const baselineTaskQueue = 'bench-baseline';
    const common = { ...clientEnv, TEMPORAL_ADDRESS: temporalAddress, DATABASE_URL: databaseUrl, NODE_ENV: 'development', RESERVATION_MAX_ACTIVE_PER_USER: String(RESERVATIONS_PER_USER) };
    const workerNames = Array.from({ length: options.sagaWorkers }, (_, i) => (i === 0 ? 'worker' : `worker-${i + 1}`));
    const statementFiles = options.countStatements
      ? Object.fromEntries(['api', ...workerNames].map((name) => [name, join(dir, `${name}.statements.json`)]))
      : undefined;
    const countTo = (name: string): Record<string, string> => (statementFiles ? { DB_STATEMENT_COUNT_FILE: statementFiles[name]! } : {});
    const metricsUrls: Record<string, string> = { ...engine!.metricsUrls };
    const workers: Component[] = [];
    for (const name of workerNames) {
      const metricsPort = await freePort();
      metricsUrls[name] = url(metricsPort) + '/metrics';
      workers.push(
        spawnComponent(name, process.execPath, nodeArgs(name, 'workers/main.ts', js?.worker), {
          ...common,
          ...vendors,
          TEMPORAL_TASK_QUEUE: sagaTaskQueue,
          WORKFLOW_BUNDLE_PATH: sagaBundle,
          WORKER_METRICS_PORT: String(metricsPort),
          FAULTS_ENABLED: 'false', // as in production (config refuses it there); the faults-on knob turns them on
          LOG_LEVEL: 'info',
          ...countTo(name),
          ...options.workerEnv,
        }),
      );
    }
    const baselineMetricsPort = await freePort();
    metricsUrls['baseline-worker'] = url(baselineMetricsPort) + '/metrics';
    const baseline = spawnComponent('baseline-worker', process.execPath, nodeArgs('baseline-worker', 'bench/baseline-worker.ts'), {
      ...common,
      WORKER_METRICS_PORT: String(baselineMetricsPort),
      TEMPORAL_TASK_QUEUE: baselineTaskQueue,
      WORKFLOW_BUNDLE_PATH: baselineBundle,
      // The fair baselines' vendor step: a payment simulator that answers at once.
      BASELINE_VENDOR_URL: `${url(vendorPorts[3])}/health`,
      ...options.workerEnv,
    });
    const api = spawnComponent('api', process.execPath, nodeArgs('api', 'api/server.ts', js?.api), {
      ...common,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      TEMPORAL_TASK_QUEUE: sagaTaskQueue,
      // The answer always comes in the POST: a 202 would only mean the wait ran out.
      SAGA_WAIT_MS: '60000',
      // The load comes from a few users on one address, far above a person's rate: the abuse
      // guards (orders and reservations per user, registrations and logins per address) stay out of the way.
      SAGA_START_RATE_LIMIT: '1000000',
      REGISTER_RATE_LIMIT: '1000',
      LOGIN_RATE_LIMIT: '1000',
      FAULTS_ENABLED: 'false',
      LOG_LEVEL: 'info',
      ...countTo('api'),
      ...options.apiEnv,
    });
    // A worker is ready when its pollers show on its task queue (whatever its log level): as
    // many pollers (distinct identities) as worker processes.
    const connection = await Connection.connect({ address: temporalAddress, ...temporalSecurity({ ...process.env, ...clientEnv }) });
    const polling = (taskQueue: string, processes: number) => async () => {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      return new Set((pollers ?? []).map((p) => p.identity)).size >= processes;
    };
    try {
      const sagaWorkersReady = () => waitFor('the saga workers', polling(sagaTaskQueue, workers.length), workers[0]!.process);
      await Promise.all([
        // Every saga worker's startup is the time until all of them poll.
        (async () => {
          const started = performance.now();
          await sagaWorkersReady();
          for (const w of workers) w.startupMs = Math.round(performance.now() - started);
        })(),
        timed(baseline, () => waitFor('the baseline worker', polling(baselineTaskQueue, 1), baseline.process)),
        timed(api, () => waitFor('the API', () => isPortOpen(apiPort!), api.process)),
      ]);
    } finally {
      await connection.close();
    }
    const startupMs = { ...engine!.startupMs, ...Object.fromEntries(components.map((c) => [c.name, c.startupMs])) };
    log(`${workerNames.length} saga worker(s), baseline worker and API up (${options.runtime}); startup ms: ${Object.entries(startupMs).map(([n, ms]) => `${n} ${ms}`).join(', ')}`);

    return {
      kind: options.kind,
      dir,
      apiUrl: `http://127.0.0.1:${apiPort}`,
      temporalAddress,
      clientEnv,
      sagaTaskQueue,
      baselineTaskQueue,
      baselineBundlePath: baselineBundle,
      startupMs,
      metricsUrls,
      pids: () => ({ ...engine!.pids(), ...Object.fromEntries(components.map((c) => [c.name, c.process.pid!])) }),
      statementCounts: () =>
        Object.fromEntries(
          Object.entries(statementFiles ?? {})
            .filter(([, file]) => existsSync(file))
            .map(([name, file]) => [name, JSON.parse(readFileSync(file, 'utf8')) as StatementCount]),
        ),
      databaseSizes: () => engine!.databaseSizes(),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
