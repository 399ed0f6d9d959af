/**
 * `npm run bench`: the platform against the engine's own limit, on this machine.
 *
 * Starts its own stack (Temporal dev server on a SQLite file in .tmp/bench-*, the vendor
 * simulators, a migrated platform database, the saga worker, a baseline worker and the API),
 * then a load generator in a separate process, and for each concurrency of the ladder runs
 * every workload as a closed loop of C clients for a fixed time:
 *
 *   baseline     the engine alone: a bare workflow with the entry saga's 4 activities, no-ops,
 *                started with update-with-start through the Temporal client (bench/baseline-workflow.ts)
 *   fair-<w>     before each saga workload w, its fair baseline: the engine running the same
 *                number and kinds of steps as w's sagas (bench/fair-baselines.ts)
 *   entry        POST /vehicle-entries with a fresh plate (the vehicle entry saga, 4 activities)
 *   entry-exit   a fresh plate enters, then exits (two sagas)
 *   order        POST /orders of one product in stock (the order saga)
 *   reservation  POST /reservations of a fresh plate, for an hour (answered once paid; the saga then waits)
 *   mix          entry-exit pairs and orders, alternating
 *
 * then each workload once more, open loop, at half its peak rate (latency at half the peak).
 * The report leads with CPU milliseconds per saga per process, each saga workload beside its
 * fair baseline; then throughput and latency.
 * Prints a table, writes bench/results/<timestamp>.json and a chart (bench/results/latest.svg;
 * a run with the default ladder and knobs also writes bench/chart.svg). Everything it starts is
 * stopped at the end, on an error and on Ctrl-C.
 *
 *   npm run bench                                   # default ladder 1,8,32,128, 15 s per step (about 16 min)
 *   npm run bench -- --concurrency 8,32 --duration 10 --workloads baseline,entry
 *   npm run bench -- --worker-env WORKER_MAX_CONCURRENT_ACTIVITIES=200   # knobs: see --help
 *   npm run bench -- --stack cluster --saga-workers 1,2   # the cluster profile (bench/cluster-stack.ts), once per saga worker count
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEV_DEFAULTS } from '../config/settings';
import { anatomyOf } from './anatomy';
import { connectClient } from '../temporal/connection';
import { fairOf, type InitMessage, type LoadResult, type RunMessage, type SagaWorkload, type Workload } from './loadgen';
import { describeMachine, UsageWindow } from './proc';
import { formatSummary, summariseProfile } from './profile-summary';
import { chartSvg, cpuTable, halfPeakTable, markdownTable, processCpuTable, sagaWorkerSum, short, summarize, table, type Step, type WorkloadSummary } from './report';
import type { StatementCount } from '../db/statement-count';
import { stopProcess } from '../scripts/processes';
import { RESERVATIONS_PER_USER, startStack, type Stack, type StackOptions } from './stack';
import { difference, scrape } from './worker-metrics';

const ROOT = resolve(import.meta.dirname, '..');
const ALL_WORKLOADS: Workload[] = ['baseline', 'entry', 'entry-exit', 'order', 'reservation', 'mix'];
/** Users who book the reservation workload's reservations (RESERVATIONS_PER_USER each at most). */
const RESERVATION_USERS = 20;
/** Not in the default run: the baseline plus the saga kit's search attribute updates; the baseline with eager start (plain start + result). */
const EXTRA_WORKLOADS: Workload[] = ['baseline-sa', 'baseline-eager'];

export interface BenchOptions {
  concurrency: number[];
  durationS: number;
  warmupS: number;
  workloads: Workload[];
  /** Run each saga workload's fair baseline before it (bench/fair-baselines.ts). */
  fair: boolean;
  halfPeak: boolean;
  baselineMode: 'update-with-start' | 'execute';
  label: string;
  keep: boolean;
  stack: Omit<StackOptions, 'dir' | 'keep'>;
  /** --saga-workers: the bench runs once per count (stack.sagaWorkers is the run's); see benchRuns. */
  sagaWorkerCounts: number[];
  /** Where the JSON goes; default bench/results/<timestamp>.json. */
  out?: string;
  /** Also write bench/chart.svg (the committed chart). */
  commitChart: boolean;
  timeoutMs: number;
}

export interface BenchResult {
  label: string;
  startedAt: string;
  finishedAt: string;
  machine: ReturnType<typeof describeMachine>;
  options: BenchOptions;
  startup: Record<string, number>;
  steps: Step[];
  summary: WorkloadSummary[];
  goals: {
    entryRatioAtLeast08: boolean | undefined;
    /** Every saga workload at ≥ 0.9× its fair baseline's throughput at each concurrency. */
    throughputAtLeast09xOfFair: boolean | undefined;
    /** Saga worker CPU per saga ≤ 1.2× its fair baseline's worker CPU, at each concurrency. */
    workerCpuAtMost12xOfFair: boolean | undefined;
    p95Under100msAtHalfPeak: boolean | undefined;
    noErrors: boolean;
  };
  databaseSizesMiB: Record<string, number>;
}

const cleanups = new Set<() => Promise<void>>();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n» ${signal}: stopping everything the bench started`);
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  });
}

const log = (line: string) => console.log(`» ${line}`);

/** Talks to the load generator process. */
class LoadGenerator {
  private waiting?: { ok: (v: unknown) => void; fail: (e: Error) => void };
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: { type: string; result?: LoadResult; error?: string }) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (m.type === 'failed') w?.fail(new Error(`load generator: ${m.error}`));
      else w?.ok(m.result);
    });
    child.on('exit', (code) => this.waiting?.fail(new Error(`the load generator exited (${code})`)));
  }
  private ask<T>(message: InitMessage | RunMessage): Promise<T> {
    return new Promise<T>((ok, fail) => {
      this.waiting = { ok: ok as (v: unknown) => void, fail };
      this.child.send(message);
    });
  }
  init(m: InitMessage) {
    return this.ask<void>(m);
  }
  run(m: RunMessage) {
    return this.ask<LoadResult>(m);
  }
}

async function api<T>(stack: Stack, method: string, path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const runId = String(Date.now()).slice(-9);
  const dir = join(ROOT, '.tmp', `bench-${stamp}`);
  const machine = describeMachine();
  log(`${options.label}: ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB; ${options.stack.kind} stack, ${options.stack.sagaWorkers} saga worker(s); run dir ${dir}`);

  let stack: Stack | undefined;
  let loadgen: ChildProcess | undefined;
  let closeClient: (() => Promise<void>) | undefined;
  const cleanup = async () => {
    await closeClient?.().catch(() => undefined);
    if (loadgen) await stopProcess(loadgen, 'SIGTERM', 5000);
    await stack?.stop();
  };
  const onSignal = async () => {
    await cleanup();
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  };
  cleanups.add(onSignal);
  try {
    // Ports are picked free, then bound by other processes a moment later: on a busy machine
    // another process may take one in between. Start again on new ports then.
    for (let attempt = 1; ; attempt++) {
      try {
        stack = await startStack({ dir: join(dir, `stack-${attempt}`), keep: options.keep, ...options.stack }, log);
        break;
      } catch (err) {
        if (attempt >= 3 || interrupted) throw err;
        log(`the stack did not start (${err instanceof Error ? err.message : String(err)}); trying again`);
      }
    }
    if (interrupted) throw new Error('interrupted');

    // Accounts, products and stock, through the API as a client would.
    const { token: adminToken } = await api<{ token: string }>(stack, 'POST', '/users/login', { email: DEV_DEFAULTS.ADMIN_EMAIL, password: DEV_DEFAULTS.ADMIN_PASSWORD });
    const user = { email: `bench-${runId}@example.com`, password: 'bench-password' };
    await api(stack, 'POST', '/users/register', user);
    const { token: userToken } = await api<{ token: string }>(stack, 'POST', '/users/login', user);
    const reservationUserTokens: string[] = [];
    if (options.workloads.includes('reservation')) {
      for (let i = 0; i < RESERVATION_USERS; i++) {
        const booker = { email: `bench-${runId}-r${i}@example.com`, password: 'bench-password' };
        await api(stack, 'POST', '/users/register', booker);
        reservationUserTokens.push((await api<{ token: string }>(stack, 'POST', '/users/login', booker)).token);
      }
    }
    const products: string[] = [];
    for (let i = 0; i < 8; i++) {
      const p = await api<{ id: string }>(stack, 'POST', '/products', { sku: `BENCH-${runId}-${i}`, name: `Bench product ${i}`, price: 100 + 50 * i }, adminToken);
      await api(stack, 'PUT', `/products/${p.id}/stock`, { onHand: 100_000_000 }, adminToken);
      products.push(p.id);
    }
    const newLots = async (count: number, capacity: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        // 250 an hour: a reservation of 61 minutes costs 500, which the payment simulator takes.
        const lot = { name: `bench ${i}`, capacity: Math.min(10_000, Math.max(1, Math.ceil(capacity))), tariffPerHour: 250 };
        ids.push((await api<{ id: string }>(stack!, 'POST', '/lots', lot, adminToken)).id);
      }
      return ids;
    };

    loadgen = fork(join(ROOT, 'bench/loadgen.ts'), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...stack.clientEnv }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const generator = new LoadGenerator(loadgen);
    await generator.init({
      type: 'init',
      apiUrl: stack.apiUrl,
      deviceKey: DEV_DEFAULTS.DEVICE_KEYS,
      adminToken,
      userToken,
      reservationUserTokens,
      reservationsPerUser: RESERVATIONS_PER_USER,
      temporalAddress: stack.temporalAddress,
      baselineTaskQueue: stack.baselineTaskQueue,
      baselineBundlePath: stack.baselineBundlePath,
      runId,
    });
    const pids = () => ({ ...stack!.pids(), loadgen: loadgen!.pid! });
    const processNames = Object.keys(pids());

    // Lots for a step: one per 8 gates (clients); entries-only lots big enough for the step.
    let lastBaselineRate = 300;
    const lotsFor = async (workload: Workload, gates: number, sagasPerS: number, seconds: number) => {
      if (workload.startsWith('fair-')) return [];
      const count = Math.max(1, Math.ceil(gates / 8));
      if (workload === 'entry' || workload === 'reservation') return newLots(count, (1.5 * sagasPerS * seconds) / count + 50);
      if (workload === 'entry-exit' || workload === 'mix') return newLots(count, 2 * Math.ceil(gates / count) + 20);
      return [];
    };
    const runStep = async (kind: Step['kind'], workload: Workload, load: { concurrency?: number; rate?: number }, seconds: number, lots: string[]) => {
      const workerName = workload.startsWith('baseline') || workload.startsWith('fair-') ? 'baseline-worker' : 'worker';
      // baseline-eager runs its worker inside the load generator: no separate metrics.
      const metricsUrl = workload === 'baseline-eager' ? undefined : stack!.metricsUrls[workerName];
      const metricsBefore = metricsUrl ? await scrape(metricsUrl) : undefined;
      const statementsBefore = stack!.statementCounts();
      const usage = new UsageWindow(pids());
      const result = await generator.run({
        type: 'run',
        workload,
        ...load,
        durationMs: seconds * 1000,
        lots,
        products,
        baselineMode: options.baselineMode,
        timeoutMs: options.timeoutMs,
      });
      const step: Step = { kind, result, usage: usage.stop(), loadAverage: loadavg().map((l) => Math.round(100 * l) / 100) };
      if (options.stack.countStatements) {
        // Counts are flushed every 200 ms: wait for the last ones of the step.
        await new Promise((r) => setTimeout(r, 500));
        step.statementsPerSaga = perSaga(statementsBefore, stack!.statementCounts(), Math.max(1, result.latency.count));
      }
      const metrics = difference(metricsBefore, metricsUrl ? await scrape(metricsUrl) : undefined);
      if (metrics) step.workerMetrics = metrics;
      // CPU milliseconds each process spent per answered saga (the drain after the window included).
      const answered = Math.max(1, result.latency.count);
      step.cpuMsPerSaga = Object.fromEntries(
        Object.entries(step.usage.processes)
          .filter(([, u]) => u.cpuSeconds > 0)
          .map(([name, u]) => [name, Math.round((10_000 * u.cpuSeconds) / answered) / 10]),
      );
      if (kind === 'ladder' && !warmingUp) {
        step.anatomy = {};
        for (const type of new Set(result.sample.map((x) => x.type))) {
          const anatomy = await anatomyOf(temporal, result.sample.filter((x) => x.type === type));
          if (anatomy) step.anatomy[type] = anatomy;
        }
      }
      return step;
    };

    const temporal = await connectClient({ address: stack.temporalAddress, namespace: 'default' }, { ...process.env, ...stack.clientEnv });
    closeClient = () => temporal.connection.close();
    let warmingUp = true;
    if (options.warmupS > 0) {
      log(`warming up: each workload for ${options.warmupS} s at 8 clients (not recorded)`);
      for (const workload of ladderOf(options)) {
        await runStep('ladder', workload, { concurrency: 8 }, options.warmupS, await lotsFor(workload, 8, 400, options.warmupS));
      }
    }

    warmingUp = false;
    const steps: Step[] = [];
    const show = (s: Step) => {
      const r = s.result;
      const p = s.usage.processes;
      log(
        `${r.workload.padEnd(10)} ${(s.kind === 'ladder' ? `C=${r.concurrency}` : `${r.rate}/s open`).padEnd(12)} ${r.throughput.toFixed(1).padStart(7)} sagas/s` +
          `${s.ratioToBaseline === undefined ? '' : ` (×${s.ratioToBaseline.toFixed(2)})`}${s.ratioToFair === undefined ? '' : ` (×${s.ratioToFair.toFixed(2)} of fair)`}  p50 ${r.latency.p50} p95 ${r.latency.p95} p99 ${r.latency.p99} ms` +
          `  err ${r.errors} 409 ${Object.values(r.rejections).reduce((a, b) => a + b, 0)} 202 ${r.followUps}` +
          `  cpu% ${Object.entries(p).map(([n, u]) => `${short(n)} ${u.cpuPercent}`).join(' ')} other ${s.usage.otherCpuPercent} (load avg ${s.loadAverage?.join(' ')})` +
          `\n    cpu ms/saga: ${Object.entries(s.cpuMsPerSaga ?? {}).map(([n, v]) => `${n} ${v}`).join(', ')}` +
          (s.statementsPerSaga
            ? `\n    statements/saga: ${Object.entries(s.statementsPerSaga).map(([n, c]) => `${n} ${c.total} (${Object.entries(c.byKind).map(([k, v]) => `${k} ${v}`).join(', ')})`).join('; ')}`
            : '') +
          (s.workerMetrics
            ? `\n    worker: wft exec ${s.workerMetrics.workflowTaskExecutionMs} ms, wft sched→start ${s.workerMetrics.workflowTaskScheduleToStartMs} ms, act exec ${s.workerMetrics.activityExecutionMs} ms, act sched→start ${s.workerMetrics.activityScheduleToStartMs} ms, local act ${s.workerMetrics.localActivityExecutionMs ?? '-'} ms; sticky hit/miss ${s.workerMetrics.stickyCacheHits}/${s.workerMetrics.stickyCacheMisses}, evictions ${s.workerMetrics.forcedEvictions}, failed wft ${s.workerMetrics.failedWorkflowTasks}`
            : '') +
          Object.entries(s.anatomy ?? {})
            .map(
              ([type, a]) =>
                `\n    ${type}: ${a.measured} ms = outside ${a.outside} + history ${a.history} (wft queue ${a.workflowTaskQueue}, wft run ${a.workflowTaskRun}, activity queue ${a.activityQueue}, activity run ${a.activityRun}; ${a.workflowTasks} wft, ${a.activities} act, ${a.localActivities} local)`,
            )
            .join('') +
          (r.errorSamples.length ? `\n    errors: ${r.errorSamples.join(' | ')}` : '') +
          (Object.keys(r.rejections).length ? `\n    409s: ${JSON.stringify(r.rejections)}` : ''),
      );
    };
    // Interleaved by concurrency, so that every workload at a given C meets the server's databases at about the same size.
    const ratio = (a: number, b: number) => Math.round((100 * a) / b) / 100;
    for (const concurrency of options.concurrency) {
      let baselineAtC: number | undefined;
      for (const workload of ladderOf(options)) {
        if (interrupted) throw new Error('interrupted');
        const lots = await lotsFor(workload, concurrency, lastBaselineRate, options.durationS);
        const step = await runStep('ladder', workload, { concurrency }, options.durationS, lots);
        if (workload === 'baseline') {
          baselineAtC = step.result.throughput;
          lastBaselineRate = Math.max(50, baselineAtC);
        } else if (baselineAtC && !workload.startsWith('fair-')) {
          step.ratioToBaseline = ratio(step.result.throughput, baselineAtC);
        }
        const fair = steps.find((s) => s.kind === 'ladder' && s.result.concurrency === concurrency && s.result.workload === fairOf(workload as SagaWorkload));
        if (fair && fair.result.throughput > 0) step.ratioToFair = ratio(step.result.throughput, fair.result.throughput);
        steps.push(step);
        show(step);
      }
    }
    if (options.halfPeak) {
      for (const s of summarize(steps)) {
        if (interrupted) throw new Error('interrupted');
        const rate = Math.max(1, Math.round(s.peakThroughput / 2));
        const lots = await lotsFor(s.workload, 32, rate, options.durationS);
        const step = await runStep('half-peak', s.workload, { rate }, options.durationS, lots);
        steps.push(step);
        show(step);
      }
    }

    const summary = summarize(steps);
    const entry = summary.find((s) => s.workload === 'entry');
    const sagaSummaries = summary.filter((s) => s.workload !== 'baseline' && !s.workload.startsWith('fair-'));
    const withFair = steps.filter((s) => s.kind === 'ladder' && s.ratioToFair !== undefined);
    const fairWorkerCpu = (s: Step) =>
      steps.find((f) => f.kind === 'ladder' && f.result.concurrency === s.result.concurrency && f.result.workload === fairOf(s.result.workload as SagaWorkload))
        ?.cpuMsPerSaga?.['baseline-worker'];
    const result: BenchResult = {
      label: options.label,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine,
      options,
      startup: stack.startupMs,
      steps,
      summary,
      goals: {
        entryRatioAtLeast08: entry?.peakRatioToBaseline === undefined ? undefined : entry.peakRatioToBaseline >= 0.8,
        throughputAtLeast09xOfFair: withFair.length === 0 ? undefined : withFair.every((s) => s.ratioToFair! >= 0.9),
        workerCpuAtMost12xOfFair:
          withFair.length === 0 ? undefined : withFair.every((s) => (sagaWorkerSum(s.cpuMsPerSaga) ?? Infinity) <= 1.2 * (fairWorkerCpu(s) ?? 0)),
        p95Under100msAtHalfPeak: options.halfPeak ? sagaSummaries.every((s) => (s.halfPeak?.p95 ?? Infinity) < 100) : undefined,
        noErrors: summary.every((s) => s.errors === 0 && s.rejections === 0),
      },
      databaseSizesMiB: await stack.databaseSizes(),
    };

    if (options.keep) {
      // The server's own metrics (Prometheus text), for digging into its latencies afterwards.
      for (const [name, url] of Object.entries(stack.metricsUrls).filter(([n]) => n.startsWith('temporal'))) {
        await writeFile(join(stack.dir, `${name === 'temporal' ? 'server' : name}-metrics.txt`), await (await fetch(url)).text()).catch(() => undefined);
      }
    }
    console.log(`\nCPU milliseconds per saga, by process: each saga workload beside its fair baseline\n${cpuTable(steps)}\n`);
    console.log(`CPU milliseconds per saga, every process (ladder steps)\n${processCpuTable(steps)}\n`);
    if (options.halfPeak) console.log(`Latency at half of each workload's peak rate (open loop)\n${halfPeakTable(steps)}\n`);
    console.log(`Every step\n${table(steps, processNames)}\n`);
    for (const s of summary) {
      console.log(
        `${s.workload.padEnd(10)} peak ${s.peakThroughput} sagas/s at C=${s.peakConcurrency}, knee C=${s.kneeConcurrency}` +
          (s.peakRatioToBaseline !== undefined ? `, ×${s.peakRatioToBaseline} of the baseline's peak` : '') +
          (s.peakRatioToFair !== undefined ? `, ×${s.peakRatioToFair} of its fair baseline's peak` : '') +
          (s.halfPeak ? `; at half the peak (${s.halfPeak.rate}/s): p50 ${s.halfPeak.p50} p95 ${s.halfPeak.p95} p99 ${s.halfPeak.p99} ms` : '') +
          `; errors ${s.errors}, 409s ${s.rejections}`,
      );
    }
    console.log(`goals: ${JSON.stringify(result.goals)}`);

    const resultsDir = join(ROOT, 'bench/results');
    await mkdir(resultsDir, { recursive: true });
    const out = options.out ?? join(resultsDir, `${stamp}${options.stack.kind === 'cluster' ? `-cluster-${options.stack.sagaWorkers}w` : ''}.json`);
    await writeFile(out, JSON.stringify(result, null, 1));
    const title = `${options.label}${options.stack.kind === 'cluster' ? ` (cluster, ${options.stack.sagaWorkers} saga worker${options.stack.sagaWorkers > 1 ? 's' : ''})` : ''} — ${machine.cores} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${options.durationS} s per step, ${startedAt.toISOString().slice(0, 16)}Z`;
    const svg = chartSvg(steps, title);
    await writeFile(join(resultsDir, 'latest.svg'), svg);
    if (options.commitChart) await writeFile(join(ROOT, 'bench/chart.svg'), svg);
    console.log(`\n${markdownTable(steps)}\n`);
    log(`results: ${out}; chart: bench/results/latest.svg${options.commitChart ? ' and bench/chart.svg' : ''}`);
    return result;
  } finally {
    await cleanup();
    cleanups.delete(onSignal);
    if (options.stack.profile.length > 0) {
      const lines: string[] = [];
      for (const name of options.stack.profile) {
        const profileDir = join(stack?.dir ?? dir, 'profiles', name);
        const files = existsSync(profileDir) ? readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')) : [];
        if (files.length === 0) lines.push(`${name}: no profile written (did it exit cleanly?)`);
        for (const f of files) lines.push(formatSummary(summariseProfile(join(profileDir, f))));
      }
      console.log(`\nCPU profiles (whole run: startup, warm-up and every step)\n${lines.join('\n')}`);
      await writeFile(join(dir, 'profiles.txt'), lines.join('\n'));
    }
    if (!options.keep) await rm(dir, { recursive: true, force: true });
    else log(`kept ${dir} (logs and databases)`);
  }
}

const HELP = `npm run bench -- [options]
  --concurrency 1,8,32,128     the ladder of concurrent clients (closed loop)
  --duration 15                seconds per step
  --warmup 4                   seconds of unrecorded warm-up per workload (0: none)
  --workloads ${ALL_WORKLOADS.join(',')}   (also: ${EXTRA_WORKLOADS.join(', ')})
  --no-fair                    skip the fair baselines (fair-<workload>: the engine running each saga's steps) run before each saga workload
  --count-statements           count the database statements of the API and the saga worker (Prisma query events), per saga
  --no-half-peak               skip the open-loop steps at half of each workload's peak
  --baseline-mode update-with-start|execute   how the baseline workflows are started and awaited
  --stack dev|cluster          dev (default): the Temporal dev server on SQLite and a SQLite platform database, as make start;
                               cluster: the cluster profile (scripts/cluster.sh: frontend, history, matching and worker services,
                               PostgreSQL for Temporal and the platform, mutual TLS), API and workers from built JS unless --runtime
  --saga-workers 1             saga worker processes; a list (1,2) runs the whole bench once per count, each on a fresh stack
  Knobs:
  --worker-env KEY=VALUE       env of both workers, e.g. WORKER_MAX_CONCURRENT_ACTIVITIES=200 (repeatable)
  --api-env KEY=VALUE          env of the API (repeatable)
  --no-wal                     (dev stack) the dev server without --sqlite-pragma journal_mode=wal / synchronous=normal
  --server-db file|memory      (dev stack) the dev server's state in a SQLite file (default, as make start) or in memory
  --server-config KEY=VALUE    (dev stack) dev server dynamic config, e.g. system.enableActivityEagerExecution=true (repeatable)
  --ordinary-activities        the sagas' local activities run as ordinary activities (bench/variants)
  --with-workflow-otel         the saga bundle with the OpenTelemetry workflow interceptors, as a worker that traces has it
  --runtime tsx|js             worker and API through tsx (as make start; the dev stack's default) or pre-built with esbuild (the cluster's default, as it runs in production)
  --profile worker,api         CPU profiles (node --cpu-prof) of these components, summarised at the end (implies --keep)
  --label NAME  --out FILE  --keep (keep .tmp/bench-* with logs and databases)  --timeout-ms 60000`;

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      concurrency: { type: 'string', default: '1,8,32,128' },
      duration: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '4' },
      workloads: { type: 'string', default: ALL_WORKLOADS.join(',') },
      'no-half-peak': { type: 'boolean', default: false },
      'no-fair': { type: 'boolean', default: false },
      'count-statements': { type: 'boolean', default: false },
      'baseline-mode': { type: 'string', default: 'update-with-start' },
      'worker-env': { type: 'string', multiple: true, default: [] },
      'api-env': { type: 'string', multiple: true, default: [] },
      'no-wal': { type: 'boolean', default: false },
      'server-db': { type: 'string', default: 'file' },
      'server-config': { type: 'string', multiple: true, default: [] },
      'ordinary-activities': { type: 'boolean', default: false },
      'with-workflow-otel': { type: 'boolean', default: false },
      stack: { type: 'string', default: 'dev' },
      'saga-workers': { type: 'string', default: '1' },
      runtime: { type: 'string' },
      profile: { type: 'string', default: '' },
      label: { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'timeout-ms': { type: 'string', default: '60000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const pairs = (list: string[]) => Object.fromEntries(list.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const workloads = values.workloads.split(',').map((w) => w.trim()) as Workload[];
  for (const w of workloads) {
    if (![...ALL_WORKLOADS, ...EXTRA_WORKLOADS].includes(w)) throw new Error(`unknown workload ${w}; one of ${[...ALL_WORKLOADS, ...EXTRA_WORKLOADS].join(', ')}`);
  }
  const profile = values.profile.split(',').map((p) => p.trim()).filter(Boolean);
  if (!['update-with-start', 'execute'].includes(values['baseline-mode'])) throw new Error('--baseline-mode: update-with-start or execute');
  if (!['dev', 'cluster'].includes(values.stack)) throw new Error('--stack: dev or cluster');
  const kind = values.stack as 'dev' | 'cluster';
  const runtime = values.runtime ?? (kind === 'cluster' ? 'js' : 'tsx');
  if (!['tsx', 'js'].includes(runtime)) throw new Error('--runtime: tsx or js');
  if (kind === 'cluster' && (values['no-wal'] || values['server-db'] !== 'file' || values['server-config'].length > 0)) {
    throw new Error('--no-wal, --server-db and --server-config apply to the dev stack only (the cluster reads ops/temporal/dynamicconfig)');
  }
  const sagaWorkers = values['saga-workers'].split(',').map(Number);
  if (sagaWorkers.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--saga-workers: positive integers, comma-separated');
  const concurrency = values.concurrency.split(',').map(Number);
  if (concurrency.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('--concurrency: positive integers, comma-separated');
  const isDefault =
    values.concurrency === '1,8,32,128' &&
    values.duration === '15' &&
    workloads.join(',') === ALL_WORKLOADS.join(',') &&
    values['worker-env'].length + values['api-env'].length + values['server-config'].length === 0 &&
    !values['no-wal'] &&
    values['server-db'] === 'file' &&
    !values['ordinary-activities'] &&
    !values['with-workflow-otel'] &&
    runtime === 'tsx' &&
    kind === 'dev' &&
    values['saga-workers'] === '1' &&
    values['baseline-mode'] === 'update-with-start' &&
    !values['no-half-peak'] &&
    !values['no-fair'] &&
    !values['count-statements'] &&
    profile.length === 0;
  return {
    concurrency,
    durationS: Number(values.duration),
    warmupS: Number(values.warmup),
    workloads,
    fair: !values['no-fair'],
    halfPeak: !values['no-half-peak'],
    baselineMode: values['baseline-mode'] as BenchOptions['baselineMode'],
    label: values.label ?? (isDefault ? 'default' : 'custom'),
    keep: values.keep || profile.length > 0,
    ...(values.out && { out: resolve(values.out) }),
    commitChart: isDefault,
    timeoutMs: Number(values['timeout-ms']),
    sagaWorkerCounts: sagaWorkers,
    stack: {
      kind,
      sagaWorkers: sagaWorkers[0]!,
      serverPragmas: !values['no-wal'],
      serverDb: values['server-db'] === 'memory' ? 'memory' : 'file',
      serverDynamicConfig: values['server-config'],
      workerEnv: pairs(values['worker-env']),
      apiEnv: pairs(values['api-env']),
      ordinaryActivities: values['ordinary-activities'],
      withWorkflowOtel: values['with-workflow-otel'],
      runtime: runtime as 'tsx' | 'js',
      profile,
      countStatements: values['count-statements'],
    },
  };
}

/** One run per saga worker count of --saga-workers, each with its own label and output file. */
export function benchRuns(options: BenchOptions): BenchOptions[] {
  if (options.sagaWorkerCounts.length === 1) return [options];
  return options.sagaWorkerCounts.map((n) => ({
    ...options,
    label: `${options.label}, ${n} saga worker${n > 1 ? 's' : ''}`,
    ...(options.out && { out: options.out.replace(/(\.json)?$/, `-${n}w.json`) }),
    commitChart: false,
    stack: { ...options.stack, sagaWorkers: n },
  }));
}

/** The ladder's workloads at each concurrency: each saga workload after its fair baseline. */
function ladderOf(options: BenchOptions): Workload[] {
  const sagas: Workload[] = ['entry', 'entry-exit', 'order', 'reservation', 'mix'];
  return options.workloads.flatMap((w) => (options.fair && sagas.includes(w) ? [fairOf(w as SagaWorkload), w] : [w]));
}

/** Statements per answered saga, by process, between two readings of the counts. */
function perSaga(before: Record<string, StatementCount>, after: Record<string, StatementCount>, sagas: number): Record<string, StatementCount> {
  const round = (v: number) => Math.round((10 * v) / sagas) / 10;
  return Object.fromEntries(
    Object.entries(after).map(([name, a]) => {
      const b = before[name] ?? { total: 0, byKind: {} };
      const byKind = Object.fromEntries(Object.entries(a.byKind).map(([k, v]) => [k, round(v - (b.byKind[k] ?? 0))]).filter(([, v]) => v !== 0));
      return [name, { total: round(a.total - b.total), byKind }];
    }),
  );
}

const entry = process.argv[1];
if (entry && resolve(entry) === resolve(import.meta.dirname, 'run.ts')) {
  try {
    for (const run of benchRuns(parseBenchArgs(process.argv.slice(2)))) {
      if (interrupted) break;
      await runBench(run);
    }
    process.exit(0);
  } catch (err) {
    console.error(err instanceof Error ? err.stack : err);
    process.exit(interrupted ? 130 : 1);
  }
}
