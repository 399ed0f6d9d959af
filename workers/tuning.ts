import type { WorkerOptions } from '@temporalio/worker';
import type { Settings } from '../config/settings';

/** The WORKER_* settings as worker options; an unset one keeps the SDK's default. */
export function workerTuning(settings: Settings): Partial<WorkerOptions> {
  return {
    maxConcurrentWorkflowTaskExecutions: settings.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: settings.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: settings.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    maxCachedWorkflows: settings.WORKER_MAX_CACHED_WORKFLOWS,
    workflowTaskPollerBehavior: pollers(settings.WORKER_WORKFLOW_POLLERS),
    activityTaskPollerBehavior: pollers(settings.WORKER_ACTIVITY_POLLERS),
  };
}

function pollers(maximum: number | undefined) {
  return maximum === undefined ? undefined : ({ type: 'simple-maximum', maximum } as const);
}
