import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** Linux clock ticks per second (getconf CLK_TCK); 100 on every common kernel. */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is the state, [1] the parent's pid. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system, all threads) a process has used so far; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
  return fields && (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** A process measured alone, or with all its descendants (`tree`: e.g. PostgreSQL's postmaster and its backends). */
export type ProcessRef = number | { tree: number };

/** The process and its descendants alive now (one pass over /proc). */
function treeOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    if (ppid) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  for (const queue = [root]; queue.length > 0; ) {
    const pid = queue.pop()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * CPU seconds of a process tree so far: each live member's own time plus the time of the
 * children it has reaped (cutime, cstime), so that a backend that exits during a window still
 * counts. Undefined once the root is gone.
 */
export function treeCpuSeconds(root: number): number | undefined {
  if (!statFields(root)) return undefined;
  let ticks = 0;
  for (const pid of treeOf(root)) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / TICKS_PER_SECOND;
}

const pidOf = (ref: ProcessRef) => (typeof ref === 'number' ? ref : ref.tree);
const cpuOf = (ref: ProcessRef) => (typeof ref === 'number' ? cpuSeconds(ref) : treeCpuSeconds(ref.tree));
/** RSS of a process, or the sum over a tree (which counts memory its members share, e.g. PostgreSQL's shared buffers, more than once). */
function rssOf(ref: ProcessRef): number | undefined {
  if (typeof ref === 'number') return memoryMiB(ref)?.rss;
  return treeOf(ref.tree).reduce((sum, pid) => sum + (memoryMiB(pid)?.rss ?? 0), 0);
}

/** Resident set size now and its peak (VmRSS, VmHWM), in MiB. */
export function memoryMiB(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** The machine's busy and total CPU seconds since boot, all cores together (/proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle! + iowait!) / TICKS_PER_SECOND };
}

export interface ProcessUsage {
  /** CPU seconds during the window. */
  cpuSeconds: number;
  /** Average share of one core during the window, in % (200 % = both cores of a 2-core machine). */
  cpuPercent: number;
  /** Highest RSS sampled during the window, MiB. */
  peakRssMiB: number;
  /** The process's lifetime peak RSS (VmHWM) at the end of the window, MiB (a tree's root only). */
  hwmMiB: number;
}

export interface UsageReport {
  processes: Record<string, ProcessUsage>;
  /** CPU the rest of the machine used meanwhile (other users' work), in % of one core. */
  otherCpuPercent: number;
  /** The whole machine's busy share, in % of one core (max: cores × 100). */
  machineCpuPercent: number;
}

/**
 * Watches a set of processes over a window: CPU seconds from /proc/<pid>/stat at both ends,
 * RSS sampled every `sampleMs`, and the machine's total busy time to tell what others used.
 */
export class UsageWindow {
  private readonly start = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly startedAt = performance.now();
  private readonly machineAtStart = machineCpu();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: Record<string, ProcessRef>,
    sampleMs = 250,
  ) {
    for (const [name, ref] of Object.entries(pids)) this.start.set(name, cpuOf(ref) ?? 0);
    this.sample();
    this.timer = setInterval(() => this.sample(), sampleMs);
  }

  private sample(): void {
    for (const [name, ref] of Object.entries(this.pids)) {
      const rss = rssOf(ref) ?? 0;
      if (rss > (this.peak.get(name) ?? 0)) this.peak.set(name, rss);
    }
  }

  stop(): UsageReport {
    clearInterval(this.timer);
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const processes: Record<string, ProcessUsage> = {};
    let ours = 0;
    for (const [name, ref] of Object.entries(this.pids)) {
      const used = Math.max(0, (cpuOf(ref) ?? this.start.get(name)!) - this.start.get(name)!);
      ours += used;
      processes[name] = {
        cpuSeconds: round(used, 2),
        cpuPercent: round((100 * used) / seconds, 1),
        peakRssMiB: round(this.peak.get(name) ?? 0, 1),
        hwmMiB: round(memoryMiB(pidOf(ref))?.hwm ?? 0, 1),
      };
    }
    const machine = machineCpu();
    const busy = machine.busy - this.machineAtStart.busy;
    return {
      processes,
      otherCpuPercent: round(Math.max(0, (100 * (busy - ours)) / seconds), 1),
      machineCpuPercent: round((100 * busy) / seconds, 1),
    };
  }
}

/** What the run's machine is: CPU model, cores, memory. */
export function describeMachine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(cpuinfo)?.[1]?.trim();
  return {
    cpuModel: field('model name') ?? cpus()[0]?.model ?? 'unknown',
    cpuMHz: Number(field('cpu MHz') ?? 0) || undefined,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
  };
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
