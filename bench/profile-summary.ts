/**
 * Summarises V8 CPU profiles (node --cpu-prof) by where the code lives: each npm package,
 * each folder of the repository, Node's internals, GC. Self time only, so the groups add up.
 *
 *   node --import tsx bench/profile-summary.ts .tmp/bench-*\/profiles/worker/*.cpuprofile
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = resolve(import.meta.dirname, '..');

function groupOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: internals';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (path.startsWith(ROOT)) return `repo: ${path.slice(ROOT.length + 1).split('/')[0]}/`;
  if (path.includes('workflow-bundle') || path.includes('bundle.js')) return 'workflow bundle';
  return path.split('/').slice(-2).join('/');
}

export interface ProfileSummary {
  file: string;
  /** Sampled milliseconds, idle excluded. */
  busyMs: number;
  groups: Array<{ group: string; ms: number; percent: number }>;
  /** The busiest functions (self time). */
  functions: Array<{ fn: string; ms: number }>;
}

export function summariseProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  // Each sample counts for the median interval: on a busy machine the profiler thread runs late
  // and a time delta can span seconds, which would inflate whatever ran next.
  const deltas = [...profile.timeDeltas].sort((a, b) => a - b);
  const interval = (deltas[Math.floor(deltas.length / 2)] ?? 1000) / 1000;
  profile.samples.forEach((id) => {
    const node = byId.get(id)!;
    const ms = interval;
    const group = groupOf(node);
    groups.set(group, (groups.get(group) ?? 0) + ms);
    const where = node.callFrame.url ? `${node.callFrame.url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '').replace(/.*node_modules\//, '')}` : '';
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
  });
  const busy = [...groups.entries()].filter(([g]) => g !== '(idle)').reduce((s, [, ms]) => s + ms, 0);
  return {
    file,
    busyMs: Math.round(busy),
    groups: [...groups.entries()]
      .filter(([g]) => g !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([group, ms]) => ({ group, ms: Math.round(ms), percent: Math.round((1000 * ms) / busy) / 10 })),
    functions: [...functions.entries()]
      .filter(([f]) => !f.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms: Math.round(ms) })),
  };
}

export function formatSummary(s: ProfileSummary): string {
  return [
    `${s.file}: ${s.busyMs} ms busy (sampled, idle excluded)`,
    ...s.groups.map((g) => `  ${g.percent.toFixed(1).padStart(5)} %  ${String(g.ms).padStart(7)} ms  ${g.group}`),
    '  busiest functions (self):',
    ...s.functions.slice(0, 15).map((f) => `  ${String(f.ms).padStart(7)} ms  ${f.fn}`),
  ].join('\n');
}

const entry = process.argv[1];
if (entry && resolve(entry) === resolve(import.meta.dirname, 'profile-summary.ts')) {
  for (const file of process.argv.slice(2)) console.log(formatSummary(summariseProfile(file)));
}
