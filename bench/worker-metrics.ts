/**
 * The SDK's own view of a worker (its Prometheus endpoint): how long workflow tasks and
 * activities ran in the worker and waited to be picked up, and how the sticky cache did.
 * Scraped before and after a step; the difference is the step's.
 */
export type Scrape = Map<string, number>;

const WATCHED = [
  'temporal_workflow_task_execution_latency',
  'temporal_workflow_task_schedule_to_start_latency',
  'temporal_workflow_task_replay_latency',
  'temporal_activity_execution_latency',
  'temporal_activity_schedule_to_start_latency',
  'temporal_local_activity_execution_latency',
  'temporal_request_latency',
];
const COUNTERS = ['temporal_sticky_cache_hit', 'temporal_sticky_cache_miss', 'temporal_sticky_cache_total_forced_eviction', 'temporal_workflow_task_execution_failed'];

/** Sums of every series of the watched histograms (_sum, _count) and counters, across labels. */
export async function scrape(url: string): Promise<Scrape | undefined> {
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(3000) })).text();
    const sums: Scrape = new Map();
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line.length === 0) continue;
      const name = line.slice(0, line.search(/[{ ]/));
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (!Number.isFinite(value)) continue;
      const base = name.replace(/_(sum|count|total)$/, '');
      if (WATCHED.includes(base) && (name.endsWith('_sum') || name.endsWith('_count'))) sums.set(name, (sums.get(name) ?? 0) + value);
      else if (COUNTERS.includes(base)) sums.set(base, (sums.get(base) ?? 0) + value);
    }
    return sums;
  } catch {
    return undefined;
  }
}

export interface WorkerMetrics {
  /** Mean milliseconds per task in the step (the SDK reports milliseconds). */
  workflowTaskExecutionMs?: number;
  workflowTaskScheduleToStartMs?: number;
  workflowTaskReplayMs?: number;
  activityExecutionMs?: number;
  activityScheduleToStartMs?: number;
  localActivityExecutionMs?: number;
  workflowTasks: number;
  activities: number;
  stickyCacheHits: number;
  stickyCacheMisses: number;
  forcedEvictions: number;
  failedWorkflowTasks: number;
}

export function difference(before: Scrape | undefined, after: Scrape | undefined): WorkerMetrics | undefined {
  if (!before || !after) return undefined;
  const d = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const mean = (base: string) => {
    const n = d(`${base}_count`);
    return n > 0 ? Math.round((10 * d(`${base}_sum`)) / n) / 10 : undefined;
  };
  const out: WorkerMetrics = {
    workflowTasks: d('temporal_workflow_task_execution_latency_count'),
    activities: d('temporal_activity_execution_latency_count'),
    stickyCacheHits: d('temporal_sticky_cache_hit'),
    stickyCacheMisses: d('temporal_sticky_cache_miss'),
    forcedEvictions: d('temporal_sticky_cache_total_forced_eviction'),
    failedWorkflowTasks: d('temporal_workflow_task_execution_failed'),
  };
  const set = (key: keyof WorkerMetrics, base: string) => {
    const v = mean(base);
    if (v !== undefined) (out as unknown as Record<string, number>)[key] = v;
  };
  set('workflowTaskExecutionMs', 'temporal_workflow_task_execution_latency');
  set('workflowTaskScheduleToStartMs', 'temporal_workflow_task_schedule_to_start_latency');
  set('workflowTaskReplayMs', 'temporal_workflow_task_replay_latency');
  set('activityExecutionMs', 'temporal_activity_execution_latency');
  set('activityScheduleToStartMs', 'temporal_activity_schedule_to_start_latency');
  set('localActivityExecutionMs', 'temporal_local_activity_execution_latency');
  return out;
}
