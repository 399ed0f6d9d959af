import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import {
  LotIdKey,
  PlateKey,
  SagaStatusKey,
  SagaTypeKey,
  stateQuery,
  type SagaState,
  type SagaStatus,
} from '../workflows/saga';
import type { vehicleEntry, vehicleExit } from '../workflows';

/** The sagas the platform runs: their workflow type and the prefix of their ids. */
export const SAGA_TYPES = {
  VehicleEntry: { workflowType: 'vehicleEntry', idPrefix: 'entry' },
  VehicleExit: { workflowType: 'vehicleExit', idPrefix: 'exit' },
} as const;
export type SagaType = keyof typeof SAGA_TYPES;

type SagaWorkflow = typeof vehicleEntry | typeof vehicleExit;

export interface StartedSaga {
  sagaId: string;
  /** The saga's state when the wait ended: final, or still running. */
  state: SagaState;
}

export interface SagaSummary {
  sagaId: string;
  type: string | undefined;
  status: string | undefined;
  plate: string | undefined;
  lotId: string | undefined;
  workflowStatus: string;
  startedAt: string;
  closedAt: string | undefined;
}

export interface SagaFilter {
  type?: SagaType;
  status?: SagaStatus;
  plate?: string;
  lotId?: string;
  limit: number;
}

export class SagaNotFoundError extends Error {
  override readonly name = 'SagaNotFoundError';
}

/**
 * The API's door to Temporal: starts sagas idempotently, waits a bounded time for
 * their answer, reads their state, lists them through visibility and signals them.
 */
export function createSagaClient(client: Client, options: { taskQueue: string; waitMs: number }) {
  async function readState(handle: WorkflowHandle): Promise<SagaState> {
    try {
      return await handle.query(stateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new SagaNotFoundError(`saga ${handle.workflowId} does not exist`);
      throw err;
    }
  }

  /** Waits up to `waitMs` for the saga to end; returns its state either way. */
  async function settle(handle: WorkflowHandle, waitMs: number): Promise<SagaState> {
    // The result long-poll is aborted when the wait ends, so that no call outlives the request.
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), waitMs);
    const outcome = await client
      .withAbortSignal(stop.signal, () => handle.result() as Promise<SagaState>)
      .catch(() => undefined); // timed out, cancelled or failed: the query below tells where it is
    clearTimeout(timer);
    return outcome ?? readState(handle);
  }

  return {
    /**
     * Starts a saga under `requestId` (a new id when absent) and waits for its answer.
     * The same request id always reaches the same saga.
     */
    async start<W extends SagaWorkflow>(
      type: SagaType,
      input: Parameters<W>[0],
      opts: { requestId?: string; keys?: { plate?: string; lotId?: string } } = {},
    ): Promise<StartedSaga> {
      const { workflowType, idPrefix } = SAGA_TYPES[type];
      const sagaId = `${idPrefix}-${opts.requestId ?? randomUUID()}`;
      const searchAttributes: SearchAttributePair[] = [
        { key: SagaTypeKey, value: type },
        { key: SagaStatusKey, value: 'RUNNING' },
      ];
      if (opts.keys?.plate) searchAttributes.push({ key: PlateKey, value: opts.keys.plate });
      if (opts.keys?.lotId) searchAttributes.push({ key: LotIdKey, value: opts.keys.lotId });
      let handle: WorkflowHandle;
      try {
        handle = await client.workflow.start(workflowType, {
          taskQueue: options.taskQueue,
          workflowId: sagaId,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: searchAttributes,
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        // Closed already: the earlier request's saga and answer stand.
        handle = client.workflow.getHandle(sagaId);
      }
      return { sagaId, state: await settle(handle, options.waitMs) };
    },

    /** The saga's current state (a `state` query). */
    async getState(sagaId: string): Promise<SagaState> {
      return readState(client.workflow.getHandle(sagaId));
    },

    /** Sends a signal by name; the saga records it in its audit trail. */
    async signal(sagaId: string, name: string, payload: { reason?: string; by?: string }): Promise<void> {
      try {
        await client.workflow.getHandle(sagaId).signal(name, payload);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new SagaNotFoundError(`saga ${sagaId} is not running`);
        throw err;
      }
    },

    /** Sagas from Temporal visibility, newest first (eventually consistent: may lag by about a second). */
    async list(filter: SagaFilter): Promise<SagaSummary[]> {
      const clauses: string[] = [];
      const equals = (name: string, value: string) => clauses.push(`${name} = ${quote(value)}`);
      if (filter.type) equals('SagaType', filter.type);
      else clauses.push(`SagaType IS NOT NULL`);
      if (filter.status) equals('SagaStatus', filter.status);
      if (filter.plate) equals('Plate', filter.plate);
      if (filter.lotId) equals('LotId', filter.lotId);
      const summaries: SagaSummary[] = [];
      for await (const execution of client.workflow.list({ query: clauses.join(' AND '), pageSize: filter.limit })) {
        const attrs = execution.typedSearchAttributes;
        summaries.push({
          sagaId: execution.workflowId,
          type: attrs.get(SagaTypeKey),
          status: attrs.get(SagaStatusKey),
          plate: attrs.get(PlateKey),
          lotId: attrs.get(LotIdKey),
          workflowStatus: execution.status.name,
          startedAt: execution.startTime.toISOString(),
          closedAt: execution.closeTime?.toISOString(),
        });
        if (summaries.length >= filter.limit) break;
      }
      return summaries;
    },
  };
}

export type SagaClient = ReturnType<typeof createSagaClient>;

/** Quotes a value for a visibility query; values are validated upstream, this is the second fence. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
