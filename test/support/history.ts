import type { TestStack } from './stack';

type Payloads = { payloads?: Array<{ data?: Uint8Array | null }> | null } | null;
type Marker = { markerName?: string | null; details?: Record<string, Payloads> | null } | null | undefined;

/** What the SDK's core records, as JSON under `data`, in the marker of a local activity's result. */
export interface LocalActivityRecord {
  activity_id: string;
  activity_type: string;
  attempt: number;
  complete_time?: { seconds: number; nanos: number };
}

const decode = (p: Payloads | undefined) => {
  const data = p?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as unknown) : undefined;
};

/** The local activity a history event's marker records, if it is a local activity's marker. */
export function localActivityOf(marker: Marker): LocalActivityRecord | undefined {
  return marker?.markerName === 'core_local_activity' ? (decode(marker.details?.data) as LocalActivityRecord | undefined) : undefined;
}

/** What a saga's Temporal history shows of how it ran its activities and search attributes. */
export interface SagaHistory {
  /** Ordinary activities, by their scheduled events, in order. */
  scheduled: string[];
  /** Local activities, by the markers recorded with their results, in order. */
  local: string[];
  /** Each search attribute upsert, as the attributes it set with their values (JSON-decoded). */
  upserts: Array<Record<string, unknown>>;
}

/** Reads a saga's history (see SagaHistory). */
export async function sagaHistoryOf(stack: TestStack, sagaId: string): Promise<SagaHistory> {
  const events = (await stack.temporal.workflow.getHandle(sagaId).fetchHistory()).events ?? [];
  const history: SagaHistory = { scheduled: [], local: [], upserts: [] };
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) history.scheduled.push(scheduled);
    const local = localActivityOf(e.markerRecordedEventAttributes);
    if (local) history.local.push(local.activity_type);
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (fields) history.upserts.push(Object.fromEntries(Object.entries(fields).map(([name, payload]) => [name, decode({ payloads: [payload] })])));
  }
  return history;
}
