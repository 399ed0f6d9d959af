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
import { buildWorkflowBundle } from '../workers/bundle';
import { buildOrdinaryActivitiesBundle } from './variants/bundle';
import type { StatementCount } from '../db/statement-count';

const ROOT = resolve(import.meta.dirname, '..');
/** Each bench user may hold this many reservations at once (RESERVATION_MAX_ACTIVE_PER_USER of the API and the worker). */
export const RESERVATIONS_PER_USER = 1000;
const { temporal } = proto;

export interface StackOptions {
  /** Where the run keeps its databases, bundles and logs (.tmp/bench-*). */
  dir: string;
  /** The dev server's SQLite pragmas journal_mode=wal and synchronous=normal (as make start runs it). */
  serverPragmas: boolean;
  /** The dev server's state in a SQLite file (as make start) or in memory (measurement only). */
  serverDb: 'file' | 'memory';
  /** Extra dev server dynamic config, KEY=JSON pairs (--dynamic-config-value). */
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
  /** Where its databases, bundles, logs and profiles are. */
  dir: string;
  apiUrl: string;
  temporalAddress: string;
  sagaTaskQueue: string;
  baselineTaskQueue: string;
  baselineBundlePath: string;
  components: Component[];
  /** The workers' Prometheus endpoints, by component name. */
  metricsUrls: Record<string, string>;
  pids(): Record<string, number>;
  /** The statements the API and the saga worker sent so far (empty unless countStatements). */
  statementCounts(): Record<string, StatementCount>;
  /** Sizes of the databases (MiB), main file plus WAL. */
  databaseSizes(): Record<string, number>;
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

/**
 * Starts the whole platform for a benchmark, on free ports, in `dir`: a Temporal dev server
 * (SQLite file), the vendor simulators, a migrated platform database, the saga worker, the
 * baseline worker and the API. Everything is stopped by stop(), in reverse order.
 */
export async function startStack(options: StackOptions, log: (line: string) => void): Promise<Stack> {
  const { dir } = options;
  await mkdir(dir, { recursive: true });
  const components: Component[] = [];
  const stop = async () => {
    for (const c of [...components].reverse()) await stopProcess(c.process);
  };
  const spawnLogged = (name: string, command: string, args: string[], env: Record<string, string>) => {
    const logPath = join(dir, `${name}.log`);
    const fd = openSync(logPath, 'a');
    const child = spawn(command, args, { cwd: ROOT, env: { NODE_ENV: 'development', ...process.env, ...env }, stdio: ['ignore', fd, fd] });
    const component: Component = { name, process: child, log: logPath, startupMs: 0 };
    components.push(component);
    return component;
  };
  const timed = async (component: Component, ready: () => Promise<void>) => {
    const started = performance.now();
    await ready();
    component.startupMs = Math.round(performance.now() - started);
  };

  try {
    const ports = new Set<number>();
    while (ports.size < 8) ports.add(await freePort());
    const [temporalPort, apiPort, ...vendorPorts] = [...ports];
    const temporalAddress = `127.0.0.1:${temporalPort}`;
    const databaseUrl = `file:${join(dir, 'platform.db')}`;
    const sagaBundle = join(dir, 'workflow-bundle.js');
    const baselineBundle = join(dir, 'baseline-bundle.js');
    const url = (p: number | undefined) => `http://127.0.0.1:${p}`;
    const vendors = {
      ANPR_URLS: [url(vendorPorts[0]), url(vendorPorts[1])].join(','),
      ANPR_BACKUP_URLS: url(vendorPorts[2]),
      PAYMENT_URLS: [url(vendorPorts[3]), url(vendorPorts[4])].join(','),
      PAYMENT_BACKUP_URLS: url(vendorPorts[5]),
    };

    // The dev server as scripts/temporal-dev-server.ts starts it, pragmas optional, plus dynamic config.
    let serverArgs = devServerArgs({ port: temporalPort!, dbFile: join(dir, 'temporal.db') });
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
    const server = spawnLogged('temporal', resolve(ROOT, process.env.TEMPORAL_BIN ?? '.tools/bin/temporal'), serverArgs, {});
    log(`temporal dev server on ${temporalAddress} (${options.serverDb === 'memory' ? 'in-memory SQLite, ' : ''}${options.serverPragmas ? 'WAL, synchronous=normal' : 'default pragmas'}${options.serverDynamicConfig.length ? `, ${options.serverDynamicConfig.join(' ')}` : ''})`);

    const prismaEnv = { ...process.env, DATABASE_URL: databaseUrl, PRISMA_SCHEMA_ENGINE_BINARY: '/dev/null', PRISMA_QUERY_ENGINE_LIBRARY: '/dev/null', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
    await Promise.all([
      timed(server, () => waitFor('the Temporal dev server', () => isPortOpen(temporalPort!), server.process)),
      promisify(execFile)('npx', ['prisma', 'migrate', 'deploy'], { cwd: ROOT, env: prismaEnv }),
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
    log(
      `database migrated, workflow bundles built${options.ordinaryActivities ? ' (saga bundle: ordinary activities in place of local ones)' : ''}${options.withWorkflowOtel ? ' (saga bundle with the OpenTelemetry workflow interceptors)' : ''}`,
    );

    const js = options.runtime === 'js' ? await buildPlatformJs(join(dir, 'js')) : undefined;
    const nodeArgs = (name: string, entry: string, built?: string) => [
      ...(options.profile.includes(name) ? ['--cpu-prof', '--cpu-prof-interval=4000', `--cpu-prof-dir=${join(dir, 'profiles', name)}`] : []),
      ...(built ? [built] : ['--import', 'tsx', join(ROOT, entry)]),
    ];
    const [workerMetricsPort, baselineMetricsPort] = [await freePort(), await freePort()];

    const simulators = spawnLogged('simulators', process.execPath, ['--import', 'tsx', join(ROOT, 'simulators/start.ts')], { ...vendors, LOG_LEVEL: 'warn' });
    await timed(simulators, () =>
      waitFor('the simulators', async () => (await Promise.all(vendorPorts.slice(0, 6).map((p) => isPortOpen(p!)))).every(Boolean), simulators.process),
    );

    const sagaTaskQueue = 'bench-sagas';
    const baselineTaskQueue = 'bench-baseline';
    const common = { TEMPORAL_ADDRESS: temporalAddress, DATABASE_URL: databaseUrl, NODE_ENV: 'development', RESERVATION_MAX_ACTIVE_PER_USER: String(RESERVATIONS_PER_USER) };
    const statementFiles = options.countStatements ? { api: join(dir, 'api.statements.json'), worker: join(dir, 'worker.statements.json') } : undefined;
    const countTo = (name: 'api' | 'worker'): Record<string, string> => (statementFiles ? { DB_STATEMENT_COUNT_FILE: statementFiles[name] } : {});
    const worker = spawnLogged('worker', process.execPath, nodeArgs('worker', 'workers/main.ts', js?.worker), {
      ...common,
      ...vendors,
      TEMPORAL_TASK_QUEUE: sagaTaskQueue,
      WORKFLOW_BUNDLE_PATH: sagaBundle,
      WORKER_METRICS_PORT: String(workerMetricsPort),
      FAULTS_ENABLED: 'true',
      LOG_LEVEL: 'info',
      ...countTo('worker'),
      ...options.workerEnv,
    });
    const baseline = spawnLogged('baseline-worker', process.execPath, nodeArgs('baseline-worker', 'bench/baseline-worker.ts'), {
      ...common,
      WORKER_METRICS_PORT: String(baselineMetricsPort),
      TEMPORAL_TASK_QUEUE: baselineTaskQueue,
      WORKFLOW_BUNDLE_PATH: baselineBundle,
      // The fair baselines' vendor step: a payment simulator that answers at once.
      BASELINE_VENDOR_URL: `${url(vendorPorts[3])}/health`,
      ...options.workerEnv,
    });
    const api = spawnLogged('api', process.execPath, nodeArgs('api', 'api/server.ts', js?.api), {
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
      FAULTS_ENABLED: 'true',
      LOG_LEVEL: 'info',
      ...countTo('api'),
      ...options.apiEnv,
    });
    // A worker is ready when its pollers show on its task queue (whatever its log level).
    const connection = await Connection.connect({ address: temporalAddress });
    const polling = (taskQueue: string) => async () => {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      return (pollers?.length ?? 0) > 0;
    };
    try {
      await Promise.all([
        timed(worker, () => waitFor('the saga worker', polling(sagaTaskQueue), worker.process)),
        timed(baseline, () => waitFor('the baseline worker', polling(baselineTaskQueue), baseline.process)),
        timed(api, () => waitFor('the API', () => isPortOpen(apiPort!), api.process)),
      ]);
    } finally {
      await connection.close();
    }
    log(`saga worker, baseline worker and API up (${options.runtime}); startup ms: ${components.map((c) => `${c.name} ${c.startupMs}`).join(', ')}`);

    return {
      dir,
      apiUrl: `http://127.0.0.1:${apiPort}`,
      temporalAddress,
      sagaTaskQueue,
      baselineTaskQueue,
      baselineBundlePath: baselineBundle,
      components,
      metricsUrls: {
        temporal: `http://127.0.0.1:${serverMetricsPort}/metrics`,
        worker: `http://127.0.0.1:${workerMetricsPort}/metrics`,
        'baseline-worker': `http://127.0.0.1:${baselineMetricsPort}/metrics`,
      },
      pids: () => Object.fromEntries(components.map((c) => [c.name, c.process.pid!])),
      statementCounts: () =>
        Object.fromEntries(
          Object.entries(statementFiles ?? {})
            .filter(([, file]) => existsSync(file))
            .map(([name, file]) => [name, JSON.parse(readFileSync(file, 'utf8')) as StatementCount]),
        ),
      databaseSizes: () => ({
        temporal: Math.round(10 * (fileMiB(join(dir, 'temporal.db')) + fileMiB(join(dir, 'temporal.db-wal')))) / 10,
        platform: Math.round(10 * (fileMiB(join(dir, 'platform.db')) + fileMiB(join(dir, 'platform.db-wal')))) / 10,
      }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
