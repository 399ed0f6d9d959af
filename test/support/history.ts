import type { TestStack } from './stack';

type Payloads = { payloads?: Array<{ data?: Uint8Array | null }> | null } | null;

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
  const decode = (p: Payloads | undefined) => {
    const data = p?.payloads?.[0]?.data;
    return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as unknown) : undefined;
  };
  const history: SagaHistory = { scheduled: [], local: [], upserts: [] };
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) history.scheduled.push(scheduled);
    const marker = e.markerRecordedEventAttributes;
    // The SDK's core records a local activity's marker with its type as JSON under `data`.
    if (marker?.markerName === 'core_local_activity') history.local.push((decode(marker.details?.data) as { activity_type: string }).activity_type);
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
    if (fields) history.upserts.push(Object.fromEntries(Object.entries(fields).map(([name, payload]) => [name, decode({ payloads: [payload] })])));
  }
  return history;
}
