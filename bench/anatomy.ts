import type { Client } from '@temporalio/client';
import proto, { type temporal } from '@temporalio/proto';

const E = proto.temporal.api.enums.v1.EventType;

/**
 * Where a saga's time goes, from its Temporal history (averages over a sample, in ms):
 * waiting for a worker to pick a workflow task or an activity up (the server's dispatch and
 * the worker's pollers), the worker running workflow tasks, and activities running.
 * `outside` is what the client measured beyond the history: HTTP, the API, the start call.
 */
export interface Anatomy {
  samples: number;
  /** Client-measured latency. */
  measured: number;
  /** First to last event of the history. */
  history: number;
  workflowTaskQueue: number;
  workflowTaskRun: number;
  activityQueue: number;
  activityRun: number;
  /** Workflow tasks and activities per saga (local activities are markers inside workflow tasks). */
  workflowTasks: number;
  activities: number;
  localActivities: number;
  outside: number;
}

type Event = temporal.api.history.v1.IHistoryEvent;
const ms = (e: Event) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

function analyse(events: Event[]) {
  const byId = new Map<number, Event>();
  for (const e of events) byId.set(Number(e.eventId), e);
  const at = (id: unknown) => byId.get(Number(id));
  const r = { history: 0, workflowTaskQueue: 0, workflowTaskRun: 0, activityQueue: 0, activityRun: 0, workflowTasks: 0, activities: 0, localActivities: 0 };
  if (events.length === 0) return r;
  r.history = ms(events.at(-1)!) - ms(events[0]!);
  for (const e of events) {
    switch (e.eventType) {
      case E.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const scheduled = at(e.workflowTaskStartedEventAttributes?.scheduledEventId);
        if (scheduled) r.workflowTaskQueue += ms(e) - ms(scheduled);
        r.workflowTasks++;
        break;
      }
      case E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
        const started = at(e.workflowTaskCompletedEventAttributes?.startedEventId);
        if (started) r.workflowTaskRun += ms(e) - ms(started);
        break;
      }
      case E.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const scheduled = at(e.activityTaskStartedEventAttributes?.scheduledEventId);
        if (scheduled) r.activityQueue += ms(e) - ms(scheduled);
        r.activities++;
        break;
      }
      case E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const started = at(e.activityTaskCompletedEventAttributes?.startedEventId);
        if (started) r.activityRun += ms(e) - ms(started);
        break;
      }
      case E.EVENT_TYPE_MARKER_RECORDED:
        if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') r.localActivities++;
        break;
    }
  }
  return r;
}

/** Fetches the histories of `sample` (workflow id → measured latency) and averages their anatomy. */
export async function anatomyOf(client: Client, sample: Array<{ id: string; latencyMs: number }>): Promise<Anatomy | undefined> {
  const rows = (
    await Promise.all(
      sample.map(async ({ id, latencyMs }) => {
        try {
          const history = await client.workflow.getHandle(id).fetchHistory();
          return { ...analyse(history.events ?? []), measured: latencyMs };
        } catch {
          return undefined;
        }
      }),
    )
  ).filter((r) => r !== undefined);
  if (rows.length === 0) return undefined;
  const avg = (f: (r: (typeof rows)[number]) => number) => Math.round((10 * rows.reduce((s, r) => s + f(r), 0)) / rows.length) / 10;
  return {
    samples: rows.length,
    measured: avg((r) => r.measured),
    history: avg((r) => r.history),
    workflowTaskQueue: avg((r) => r.workflowTaskQueue),
    workflowTaskRun: avg((r) => r.workflowTaskRun),
    activityQueue: avg((r) => r.activityQueue),
    activityRun: avg((r) => r.activityRun),
    workflowTasks: avg((r) => r.workflowTasks),
    activities: avg((r) => r.activities),
    localActivities: avg((r) => r.localActivities),
    outside: avg((r) => r.measured - r.history),
  };
}
