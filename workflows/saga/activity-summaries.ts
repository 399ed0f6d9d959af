import {
  AsyncLocalStorage,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/**
 * Activity summaries: the Web UI shows a summary on each activity's events. The saga kit runs
 * each step (and each compensation) under its summary; the interceptor below puts it on every
 * activity the step schedules, whichever proxy the saga calls it through. The workflow bundle
 * loads this module as an interceptor module (workers/bundle.ts). User metadata is not part of
 * Temporal's determinism check: histories recorded without it replay (test/replay.test.ts).
 */
const summaries = new AsyncLocalStorage<string>();

/** Runs `fn` so that the activities it schedules carry `summary`. */
export function withActivitySummary<T>(summary: string, fn: () => Promise<T>): Promise<T> {
  return summaries.run(summary, fn);
}

function withSummary<I extends ActivityInput | LocalActivityInput>(input: I): I {
  const summary = summaries.getStore();
  if (summary === undefined || input.options.summary !== undefined) return input;
  return { ...input, options: { ...input.options, summary } };
}

class StepSummaries implements WorkflowOutboundCallsInterceptor {
  scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) {
    return next(withSummary(input));
  }

  scheduleLocalActivity(input: LocalActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) {
    return next(withSummary(input));
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ outbound: [new StepSummaries()] });
