/**
 * Explores the knobs: runs the benchmark once per variant on a short ladder (each variant
 * on a fresh stack) and prints them side by side.
 *
 *   node --import tsx bench/knobs.ts                       # every variant below
 *   node --import tsx bench/knobs.ts default slow-poll ordinary-activities slow-poll+ordinary-activities
 *   node --import tsx bench/knobs.ts --concurrency 8,32 --duration 10 --workloads baseline,entry -- default no-wal
 *
 * Throughput depends on how much CPU is free on the machine (2 cores, shared), so the table also
 * gives what each saga cost in CPU milliseconds per process, which varies far less between runs,
 * and how busy the rest of the machine was (other %).
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { formatTable } from './report';
import { parseBenchArgs, runBench, type BenchResult } from './run';

export const VARIANTS: Record<string, string[]> = {
  default: [],
  // The server's default: the history service loads new transfer tasks at most 20 times a second per
  // shard; the dev server has one shard, so every workflow task and activity waits ~25 ms on average to be
  // dispatched. The platform's dev server polls at up to 1000/s (scripts/temporal-dev-server.ts).
  'slow-poll': ['--server-config', 'history.transferProcessorMaxPollRPS=20'],
  'no-wal': ['--no-wal'],
  'eager-activities': ['--server-config', 'system.enableActivityEagerExecution=true'],
  'one-partition': ['--server-config', 'matching.numTaskqueueReadPartitions=1', '--server-config', 'matching.numTaskqueueWritePartitions=1'],
  'ordinary-activities': ['--ordinary-activities'],
  'with-workflow-otel': ['--with-workflow-otel'],
  'faults-on': ['--worker-env', 'FAULTS_ENABLED=true', '--api-env', 'FAULTS_ENABLED=true'],
  'log-warn': ['--worker-env', 'LOG_LEVEL=warn', '--api-env', 'LOG_LEVEL=warn'],
  'slots-small': ['--worker-env', 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS=8', '--worker-env', 'WORKER_MAX_CONCURRENT_ACTIVITIES=16'],
  'slots-large': ['--worker-env', 'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS=200', '--worker-env', 'WORKER_MAX_CONCURRENT_ACTIVITIES=400'],
  'pollers-2': ['--worker-env', 'WORKER_WORKFLOW_POLLERS=2', '--worker-env', 'WORKER_ACTIVITY_POLLERS=2'],
  'pollers-32': ['--worker-env', 'WORKER_WORKFLOW_POLLERS=32', '--worker-env', 'WORKER_ACTIVITY_POLLERS=32'],
  'cache-50': ['--worker-env', 'WORKER_MAX_CACHED_WORKFLOWS=50'],
  'runtime-js': ['--runtime', 'js'],
  'baseline-execute': ['--baseline-mode', 'execute'],
};

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const common = split >= 0 ? argv.slice(0, split) : argv.filter((a) => a.startsWith('--'));
const names = (split >= 0 ? argv.slice(split + 1) : argv.filter((a) => !a.startsWith('--') && !common.includes(a))).filter(Boolean);
const chosen = names.length > 0 ? names : Object.keys(VARIANTS);
// A variant may combine others with '+', e.g. slow-poll+ordinary-activities.
const argsOf = (name: string) => name.split('+').flatMap((part) => VARIANTS[part] ?? []);
for (const n of chosen) {
  for (const part of n.split('+')) if (!VARIANTS[part]) throw new Error(`unknown variant ${part}; one of ${Object.keys(VARIANTS).join(', ')}`);
}
const defaults = ['--concurrency', '8,32', '--duration', '10', '--warmup', '3', '--workloads', 'baseline,entry', '--no-half-peak'];

const results: Array<{ variant: string; result: BenchResult }> = [];
for (const variant of chosen) {
  // Common flags first, the variant's after; a flag given twice keeps the last (parseArgs).
  const options = parseBenchArgs([...defaults, ...common, ...argsOf(variant), '--label', variant]);
  options.commitChart = false;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  options.out = resolve(import.meta.dirname, 'results', `knob-${variant}-${stamp}.json`);
  try {
    results.push({ variant, result: await runBench(options) });
  } catch (err) {
    console.error(`» ${variant} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const rows: string[][] = [];
for (const { variant, result } of results) {
  for (const step of result.steps.filter((s) => s.kind === 'ladder')) {
    const r = step.result;
    const cost = step.cpuMsPerSaga ?? {};
    const workerName = r.workload.startsWith('baseline') ? 'baseline-worker' : 'worker';
    rows.push([
      variant,
      r.workload,
      String(r.concurrency),
      r.throughput.toFixed(1),
      step.ratioToBaseline?.toFixed(2) ?? '',
      r.latency.p50.toFixed(0),
      r.latency.p95.toFixed(0),
      String(r.errors + Object.values(r.rejections).reduce((a, b) => a + b, 0)),
      (cost.temporal ?? 0).toFixed(0),
      (cost[workerName] ?? 0).toFixed(0),
      (cost.api ?? 0).toFixed(0),
      step.usage.otherCpuPercent.toFixed(0),
      (step.usage.processes[workerName]?.peakRssMiB ?? 0).toFixed(0),
    ]);
  }
}
const text = formatTable(
  ['variant', 'workload', 'C', 'sagas/s', 'ratio', 'p50', 'p95', 'err', 'srv ms/saga', 'wrk ms/saga', 'api ms/saga', 'other%', 'wrk MiB'],
  rows,
);
console.log(`\nKnobs (CPU ms per saga: server, worker, API; other% = CPU the rest of the machine used)\n${text}`);
const out = join(import.meta.dirname, 'results', `knobs-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(out, JSON.stringify({ variants: results.map(({ variant, result }) => ({ variant, summary: result.summary, steps: result.steps })) }, null, 1));
console.log(`» ${out}`);
process.exit(0);
