import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { currentDetails } from './details';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { SagaAbort, type StopRequest } from './failures';
import { createSagaMetrics, type SagaMetrics } from './metrics';
import { BUSINESS_KEYS, SagaStatusKey, SagaTypeKey, type BusinessKeys } from './search-attributes';
import type { SagaState, SagaStatus } from './state';

/**
 * What every piece of a saga shares: its state (what the `state` query shows), its metrics,
 * and whether it was asked to stop going forward. Status and business keys go to the search
 * attributes here, and only here.
 */
export class SagaRecord<I, R> {
  readonly state: SagaState<I, R>;
  readonly metrics: SagaMetrics;
  /** Set by a compensate signal or a cancellation: the saga rolls back at its next step or wait. */
  stopRequest?: StopRequest;
  /** Search attributes are upserted only when their value changes (see publishStart's `setAtStart`). */
  private upsertsChangesOnly = false;

  constructor(type: string, input: I) {
    this.metrics = createSagaMetrics(type);
    this.metrics.started.add(1);
    this.state = {
      sagaId: workflowInfo().workflowId,
      type,
      status: 'RUNNING',
      input,
      startedAt: new Date().toISOString(),
      keys: {},
      steps: [],
      awaiting: ['compensate'],
      attention: [],
      actions: [],
    };
  }

  /**
   * Sets the saga's type, status and first business keys as search attributes. With
   * `setAtStart` (the API starts sagas with them: temporal/saga-client.ts) only those the start
   * did not carry are upserted, and later `setKeys` upserts only keys whose value changes: each
   * upsert is one more command, history event and visibility write.
   */
  publishStart(keys: BusinessKeys, setAtStart = false): void {
    this.upsertsChangesOnly = setAtStart;
    const pairs: SearchAttributeUpdatePair[] = [
      { key: SagaTypeKey, value: this.state.type },
      { key: SagaStatusKey, value: 'RUNNING' },
      ...keyPairs(keys),
    ];
    const atStart = workflowInfo().typedSearchAttributes;
    const missing = setAtStart ? pairs.filter((p) => atStart.get(p.key) !== p.value) : pairs;
    if (missing.length > 0) upsertSearchAttributes(missing);
    this.rememberKeys(keys);
    this.showDetails();
  }

  setKeys(keys: BusinessKeys): void {
    if (!this.upsertsChangesOnly) upsertSearchAttributes(keyPairs(keys));
    else {
      // A key's current value is the state's: set at the start or by an earlier setKeys.
      const known = this.state.keys;
      const changed = keyPairs(Object.fromEntries(Object.entries(keys).filter(([name, value]) => value !== known[name])) as BusinessKeys);
      if (changed.length > 0) upsertSearchAttributes(changed);
    }
    this.rememberKeys(keys);
  }

  setStatus(status: SagaStatus): void {
    if (this.state.status !== status) {
      this.state.status = status;
      upsertSearchAttributes([{ key: SagaStatusKey, value: status }]);
    }
    this.showDetails();
  }

  /**
   * Shows the state's status, step in progress and awaited signals as the workflow's current
   * details (the Web UI's saga page). Call after changing any of them: it adds no command to the
   * history, so it is free of replay concerns.
   */
  showDetails(): void {
    setCurrentDetails(currentDetails(this.state as SagaState));
  }

  throwIfStopRequested(): void {
    const request = this.stopRequest;
    if (request) throw new SagaAbort('compensate', request.reason, request.message);
  }

  /** Stamps the end and counts the outcome. */
  recordEnd(): void {
    this.state.awaiting = [];
    this.state.endedAt = new Date().toISOString();
    this.showDetails();
    const outcome = this.state.status.toLowerCase();
    this.metrics.outcomes.add(1, { outcome });
    this.metrics.duration.record(Date.parse(this.state.endedAt) - Date.parse(this.state.startedAt), { outcome });
  }

  private rememberKeys(keys: BusinessKeys): void {
    for (const [name, value] of Object.entries(keys)) if (value !== undefined) this.state.keys[name] = value;
  }
}

function keyPairs(keys: BusinessKeys): SearchAttributeUpdatePair[] {
  return Object.entries(keys)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ({ key: BUSINESS_KEYS[name as keyof typeof BUSINESS_KEYS], value: value as string }));
}
