import type { StatementCount } from '../db/statement-count';
import type { LoadResult, Workload } from './loadgen';
import type { Anatomy } from './anatomy';
import type { UsageReport } from './proc';
import type { WorkerMetrics } from './worker-metrics';

export interface Step {
  /** 'ladder' steps are closed loops of C clients; 'half-peak' steps run open loop at half the peak rate. */
  kind: 'ladder' | 'half-peak';
  result: LoadResult;
  usage: UsageReport;
  /** Throughput ÷ the baseline's at the same concurrency (ladder steps of sagas). */
  ratioToBaseline?: number;
  /** Throughput ÷ the fair baseline's (same steps, engine only) at the same concurrency. */
  ratioToFair?: number;
  /** Database statements per answered saga, by process (--count-statements). */
  statementsPerSaga?: Record<string, StatementCount>;
  /** Where the time goes, by saga type (ladder steps), from a sample of histories. */
  anatomy?: Record<string, Anatomy>;
  /** The SDK's metrics of the worker that ran the step. */
  workerMetrics?: WorkerMetrics;
  /** CPU milliseconds per answered saga, by process. */
  cpuMsPerSaga?: Record<string, number>;
  /** The machine's load average (1, 5, 15 min) at the end of the step: how busy the shared machine was. */
  loadAverage?: number[];
}

/** The Temporal server's processes: the dev server, or the cluster's four services. */
export const SERVER_PROCESSES = ['temporal', 'frontend', 'history', 'matching', 'temporal-worker'];
/** The saga worker processes: worker, worker-2, ... */
export const isSagaWorker = (name: string) => name === 'worker' || /^worker-\d+$/.test(name);
const sumOf = (c: Record<string, number> | undefined, pick: (name: string) => boolean) =>
  c ? Object.entries(c).reduce((t, [n, v]) => t + (pick(n) ? v : 0), 0) : undefined;
/** Per-process figures (CPU ms per saga, CPU %) summed over the server's processes. */
export const serverSum = (c: Record<string, number> | undefined) => sumOf(c, (n) => SERVER_PROCESSES.includes(n));
/** Summed over the saga workers. */
export const sagaWorkerSum = (c: Record<string, number> | undefined) => sumOf(c, isSagaWorker);

/** Short column names of the processes. */
export function short(name: string): string {
  const names: Record<string, string> = {
    temporal: 'srv',
    worker: 'wrk',
    'baseline-worker': 'bwrk',
    api: 'api',
    simulators: 'sim',
    loadgen: 'load',
    frontend: 'fe',
    history: 'hist',
    matching: 'match',
    'temporal-worker': 'twrk',
    postgres: 'pg',
  };
  return names[name] ?? name.replace(/^worker-/, 'wrk');
}

export interface WorkloadSummary {
  workload: Workload;
  peakThroughput: number;
  peakConcurrency: number;
  /** The smallest concurrency that reaches 90 % of the peak: beyond it, more clients only queue. */
  kneeConcurrency: number;
  /** Peak ÷ the baseline's peak. */
  peakRatioToBaseline?: number;
  /** Peak ÷ its fair baseline's peak. */
  peakRatioToFair?: number;
  /** The open-loop step at half the peak rate. */
  halfPeak?: { rate: number; achieved: number; p50: number; p95: number; p99: number; errors: number };
  errors: number;
  rejections: number;
}

export function summarize(steps: Step[]): WorkloadSummary[] {
  const workloads = [...new Set(steps.map((s) => s.result.workload))];
  const baselinePeak = Math.max(0, ...steps.filter((s) => s.kind === 'ladder' && s.result.workload === 'baseline').map((s) => s.result.throughput));
  return workloads.map((workload) => {
    const ladder = steps.filter((s) => s.kind === 'ladder' && s.result.workload === workload);
    const peak = ladder.reduce((best, s) => (s.result.throughput > best.result.throughput ? s : best), ladder[0]!);
    const knee = ladder.filter((s) => s.result.throughput >= 0.9 * peak.result.throughput).sort((a, b) => a.result.concurrency! - b.result.concurrency!)[0]!;
    const half = steps.find((s) => s.kind === 'half-peak' && s.result.workload === workload);
    const all = steps.filter((s) => s.result.workload === workload);
    const fairPeak = Math.max(0, ...steps.filter((s) => s.kind === 'ladder' && s.result.workload === `fair-${workload}`).map((s) => s.result.throughput));
    return {
      workload,
      peakThroughput: peak.result.throughput,
      peakConcurrency: peak.result.concurrency!,
      kneeConcurrency: knee.result.concurrency!,
      ...(workload !== 'baseline' && !workload.startsWith('fair-') && baselinePeak > 0 && { peakRatioToBaseline: round2(peak.result.throughput / baselinePeak) }),
      ...(fairPeak > 0 && { peakRatioToFair: round2(peak.result.throughput / fairPeak) }),
      ...(half && {
        halfPeak: {
          rate: half.result.rate!,
          achieved: half.result.throughput,
          p50: half.result.latency.p50,
          p95: half.result.latency.p95,
          p99: half.result.latency.p99,
          errors: half.result.errors,
        },
      }),
      errors: all.reduce((n, s) => n + s.result.errors, 0),
      rejections: all.reduce((n, s) => n + Object.values(s.result.rejections).reduce((a, b) => a + b, 0), 0),
    };
  });
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** The fair baseline step of a saga step: same kind, same concurrency (or, open loop, the fair workload's own half-peak step). */
function fairStepOf(steps: Step[], s: Step): Step | undefined {
  const fair = `fair-${s.result.workload}`;
  return steps.find((f) => f.kind === s.kind && f.result.workload === fair && (s.kind === 'half-peak' || f.result.concurrency === s.result.concurrency));
}

const ms = (v: number | undefined) => (v === undefined ? '' : v.toFixed(1));
const times = (a: number | undefined, b: number | undefined) => (a === undefined || !b ? '' : (a / b).toFixed(2));

/**
 * The headline: CPU milliseconds per saga by process (API, saga worker, Temporal server) for
 * each saga ladder step, beside its fair baseline's (baseline worker, server), then the
 * throughputs and their ratios. CPU per saga moves little with what else runs on the machine.
 */
export function cpuTable(steps: Step[], render: TableRenderer = formatTable): string {
  const withDb = steps.some((s) => s.cpuMsPerSaga?.postgres !== undefined);
  const header = ['workload', 'C', 'api', 'wrk', 'fair wrk', 'wrk ÷ fair', 'srv', 'fair srv', ...(withDb ? ['db', 'fair db'] : []), 'all', 'fair all', 'all ÷ fair', 'sagas/s', 'fair/s', '÷ fair', '÷ baseline'];
  const sum = (c: Record<string, number> | undefined, names: string[]) => (c ? names.reduce((t, n) => t + (c[n] ?? 0), 0) : undefined);
  const rows = steps
    .filter((s) => s.kind === 'ladder' && s.result.workload !== 'baseline' && !s.result.workload.startsWith('fair-') && !s.result.workload.startsWith('baseline-'))
    .map((s) => {
      const c = s.cpuMsPerSaga ?? {};
      const fair = fairStepOf(steps, s);
      const f = fair?.cpuMsPerSaga;
      const worker = sagaWorkerSum(c);
      const all = (worker ?? 0) + serverSum(c)! + sum(c, ['api', 'simulators', 'postgres'])!;
      const fairAll = f ? serverSum(f)! + sum(f, ['baseline-worker', 'simulators', 'postgres'])! : undefined;
      return [
        s.result.workload,
        String(s.result.concurrency),
        ms(c.api),
        ms(worker),
        ms(f?.['baseline-worker']),
        times(worker, f?.['baseline-worker']),
        ms(serverSum(c)),
        ms(serverSum(f)),
        ...(withDb ? [ms(c.postgres), ms(f?.postgres)] : []),
        ms(all),
        ms(fairAll),
        times(all, fairAll),
        s.result.throughput.toFixed(1),
        fair ? fair.result.throughput.toFixed(1) : '',
        s.ratioToFair?.toFixed(2) ?? '',
        s.ratioToBaseline?.toFixed(2) ?? '',
      ];
    });
  return render(header, rows);
}

/**
 * CPU milliseconds per answered saga of every process, for every ladder step (the baselines
 * too), and their total: on the cluster, frontend, history, matching, the Temporal worker
 * service and PostgreSQL each in its own column.
 */
export function processCpuTable(steps: Step[], render: TableRenderer = formatTable): string {
  const ladder = steps.filter((s) => s.kind === 'ladder');
  const names = [...new Set(ladder.flatMap((s) => Object.keys(s.usage.processes)))];
  const header = ['workload', 'C', ...names.map(short), 'total', 'sagas/s', 'load avg'];
  const rows = ladder.map((s) => {
    const c = s.cpuMsPerSaga ?? {};
    return [
      s.result.workload,
      String(s.result.concurrency),
      ...names.map((n) => ms(c[n] ?? 0)),
      ms(names.reduce((t, n) => t + (c[n] ?? 0), 0)),
      s.result.throughput.toFixed(1),
      s.loadAverage?.[0]?.toFixed(1) ?? '',
    ];
  });
  return render(header, rows);
}

/** Latency at half of each workload's peak rate (open loop), each saga workload beside its fair baseline's at its own half peak. */
export function halfPeakTable(steps: Step[], render: TableRenderer = formatTable): string {
  const header = ['workload', 'rate/s', 'p50', 'p95', 'p99', 'fair rate/s', 'fair p50', 'fair p95', 'p95 ÷ fair', 'errors'];
  const rows = steps
    .filter((s) => s.kind === 'half-peak' && !s.result.workload.startsWith('fair-'))
    .map((s) => {
      const fair = fairStepOf(steps, s);
      const l = s.result.latency;
      return [
        s.result.workload,
        String(s.result.rate),
        l.p50.toFixed(0),
        l.p95.toFixed(0),
        l.p99.toFixed(0),
        fair ? String(fair.result.rate) : '',
        fair ? fair.result.latency.p50.toFixed(0) : '',
        fair ? fair.result.latency.p95.toFixed(0) : '',
        times(l.p95, fair?.result.latency.p95),
        String(s.result.errors),
      ];
    });
  return render(header, rows);
}

/** The result table, one row per step, plain text. */
export function table(steps: Step[], processNames: string[]): string {
  const memoryOf = ['temporal', 'history', 'postgres', 'worker', 'api'].filter((n) => processNames.includes(n));
  const header = [
    'workload',
    'C / rate',
    'sagas/s',
    'ratio',
    '÷ fair',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'err',
    '409',
    '202',
    ...processNames.map((n) => `${short(n)} cpu%`),
    'other%',
    ...memoryOf.map((n) => `${short(n)} MiB`),
  ];
  const rows = steps.map((s) => {
    const r = s.result;
    const p = s.usage.processes;
    return [
      r.workload,
      s.kind === 'ladder' ? `C=${r.concurrency}` : `${r.rate}/s open`,
      r.throughput.toFixed(1),
      s.ratioToBaseline === undefined ? '' : s.ratioToBaseline.toFixed(2),
      s.ratioToFair === undefined ? '' : s.ratioToFair.toFixed(2),
      r.latency.p50.toFixed(0),
      r.latency.p95.toFixed(0),
      r.latency.p99.toFixed(0),
      String(r.errors),
      String(Object.values(r.rejections).reduce((a, b) => a + b, 0)),
      String(r.followUps),
      ...processNames.map((n) => (p[n] ? p[n].cpuPercent.toFixed(0) : '')),
      s.usage.otherCpuPercent.toFixed(0),
      ...memoryOf.map((n) => (p[n] ? p[n].peakRssMiB.toFixed(0) : '')),
    ];
  });
  return formatTable(header, rows);
}

/** Lays out a table: `formatTable` (plain text, the console) or `markdownTableOf` (the README). */
export type TableRenderer = (header: string[], rows: string[][]) => string;

/** A table in Markdown: the first two columns left-aligned, the figures right-aligned. */
export function markdownTableOf(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < 2 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Markdown version of the per-step table, for the README. */
export function markdownTable(steps: Step[]): string {
  const withDb = steps.some((s) => s.usage.processes.postgres !== undefined);
  const lines = [
    `| workload | clients | sagas/s | × baseline | × fair | p50 ms | p95 ms | p99 ms | errors | server CPU |${withDb ? ' PostgreSQL CPU |' : ''} worker CPU | API CPU | loadgen CPU | others' CPU | worker RSS MiB |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${withDb ? ' ---: |' : ''} ---: | ---: | ---: | ---: | ---: |`,
  ];
  for (const s of steps.filter((x) => x.kind === 'ladder')) {
    const r = s.result;
    const p = s.usage.processes;
    const pct = (n: string) => (p[n] ? `${p[n].cpuPercent.toFixed(0)} %` : '');
    const percents = Object.fromEntries(Object.entries(p).map(([n, u]) => [n, u.cpuPercent]));
    const engineOnly = r.workload === 'baseline' || r.workload.startsWith('fair-');
    const workerName = engineOnly ? 'baseline-worker' : 'worker';
    const workerPct = engineOnly ? pct(workerName) : `${sagaWorkerSum(percents)!.toFixed(0)} %`;
    lines.push(
      `| ${r.workload} | ${r.concurrency} | ${r.throughput.toFixed(1)} | ${s.ratioToBaseline?.toFixed(2) ?? '—'} | ${s.ratioToFair?.toFixed(2) ?? '—'} | ${r.latency.p50.toFixed(0)} | ${r.latency.p95.toFixed(0)} | ${r.latency.p99.toFixed(0)} | ${r.errors + Object.values(r.rejections).reduce((a, b) => a + b, 0)} | ${serverSum(percents)!.toFixed(0)} % |${withDb ? ` ${pct('postgres')} |` : ''} ${workerPct} | ${pct('api')} | ${pct('loadgen')} | ${s.usage.otherCpuPercent.toFixed(0)} % | ${p[workerName]?.peakRssMiB.toFixed(0) ?? ''} |`,
    );
  }
  return lines.join('\n');
}

const BASE_COLORS: Record<string, string> = { baseline: '#555555', entry: '#d62728', 'entry-exit': '#1f77b4', order: '#2ca02c', reservation: '#ff7f0e', mix: '#9467bd' };
/** A fair baseline is drawn dashed in its saga workload's colour. */
const COLORS = new Proxy(BASE_COLORS, { get: (t, w: string) => t[w.replace(/^fair-/, '')] });
const dashed = (w: string) => w === 'baseline' || w.startsWith('fair-');

/**
 * The chart: throughput (left) and p95 latency (right) against concurrency, one line per
 * workload; log2 concurrency axis, log latency axis. Plain SVG written by hand.
 */
export function chartSvg(steps: Step[], title: string): string {
  const ladder = steps.filter((s) => s.kind === 'ladder');
  const workloads = [...new Set(ladder.map((s) => s.result.workload))];
  const cs = [...new Set(ladder.map((s) => s.result.concurrency!))].sort((a, b) => a - b);
  const W = 460;
  const H = 300;
  const m = { l: 56, r: 14, t: 34, b: 42 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xOf = (c: number) => m.l + (cs.length < 2 ? pw / 2 : (pw * cs.indexOf(c)) / (cs.length - 1));
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

  const panel = (offsetX: number, label: string, value: (s: Step) => number, logScale: boolean) => {
    const values = ladder.map(value).filter((v) => v > 0);
    const maxV = Math.max(1, ...values);
    const minV = logScale ? Math.max(1, Math.min(...values)) : 0;
    const lo = logScale ? Math.floor(Math.log10(minV)) : 0;
    const hi = logScale ? Math.ceil(Math.log10(maxV)) : niceMax(maxV);
    const yOf = (v: number) =>
      logScale ? m.t + ph - (ph * (Math.log10(Math.max(v, 10 ** lo)) - lo)) / Math.max(1, hi - lo) : m.t + ph - (ph * v) / hi;
    const out: string[] = [`<g transform="translate(${offsetX},0)">`];
    out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="#fff" stroke="#ccc"/>`);
    const step = logScale ? 1 : niceStep(hi);
    const ticks = logScale
      ? Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i))
      : Array.from({ length: Math.round(hi / step) + 1 }, (_, i) => i * step);
    for (const t of ticks) {
      const y = yOf(t).toFixed(1);
      out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
      out.push(`<text x="${m.l - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${formatTick(t)}</text>`);
    }
    for (const c of cs) out.push(`<text x="${xOf(c).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle" font-size="11">${c}</text>`);
    out.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle" font-size="12">concurrent clients</text>`);
    out.push(`<text x="${m.l + pw / 2}" y="${m.t - 12}" text-anchor="middle" font-size="13" font-weight="bold">${esc(label)}</text>`);
    for (const w of workloads) {
      const pts = ladder
        .filter((s) => s.result.workload === w)
        .sort((a, b) => a.result.concurrency! - b.result.concurrency!)
        .map((s) => [xOf(s.result.concurrency!), yOf(value(s))] as const);
      const color = COLORS[w] ?? '#000';
      const dash = dashed(w) ? ' stroke-dasharray="5,3"' : '';
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${color}"/>`);
    }
    out.push('</g>');
    return out.join('\n');
  };

  const legend = workloads
    .map((w, i) => {
      const x = 20 + i * 100;
      return `<line x1="${x}" x2="${x + 24}" y1="${H + 22}" y2="${H + 22}" stroke="${COLORS[w] ?? '#000'}" stroke-width="3"${dashed(w) ? ' stroke-dasharray="5,3"' : ''}/><text x="${x + 30}" y="${H + 26}" font-size="12">${esc(w)}</text>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 60}" viewBox="0 0 ${2 * W} ${H + 60}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    panel(0, 'throughput (sagas/s)', (s) => s.result.throughput, false),
    panel(W, 'p95 latency, request to answer (ms, log)', (s) => s.result.latency.p95, true),
    legend,
    `<text x="${W}" y="${H + 50}" text-anchor="middle" font-size="11" fill="#555">${esc(title)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= v) return f * p;
  return 10 * p;
}

/** A round tick step giving 4 to 6 intervals up to `hi`. */
function niceStep(hi: number): number {
  const p = 10 ** Math.floor(Math.log10(hi));
  for (const f of [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5]) if (hi / (f * p) <= 6) return f * p;
  return hi / 5;
}

function formatTick(v: number): string {
  if (v >= 1000) return `${v / 1000}k`;
  return String(Math.round(v * 10) / 10);
}
