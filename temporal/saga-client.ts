import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, type SearchAttributePair, type UpdateDefinition } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import {
  SagaStatusKey,
  SagaTypeKey,
  answerUpdate,
  compensateSignal,
  sagaIdOf,
  stateQuery,
  BUSINESS_KEYS,
  describeSaga,
  type AnySagaContract,
  type ApiSignal,
  type BusinessKeys,
  type OperatorInput,
  type SagaInput,
  type SagaState,
  type SagaStatus,
  type SagaType,
} from '../workflows/contracts';

/** Business keys by search attribute name, for starting and filtering sagas. */
export type SagaKeys = BusinessKeys;

export interface StartedSaga {
  sagaId: string;
  /** The saga's state when the wait ended: final, or still running. */
  state: SagaState;
}

export interface SagaSummary {
  sagaId: string;
  type: string | undefined;
  status: string | undefined;
  /** Business keys the saga carries (Plate, LotId, UserId, OrderId, ReservationId). */
  keys: BusinessKeys;
  workflowStatus: string;
  startedAt: string;
  closedAt: string | undefined;
}

export interface SagaFilter {
  type?: SagaType;
  status?: SagaStatus;
  keys?: BusinessKeys;
  limit: number;
}

export class SagaNotFoundError extends Error {
  override readonly name = 'SagaNotFoundError';
}

/** A saga refused an update, or the update failed: `reason` is the failure's type (e.g. LOT_FULL). */
export class SagaUpdateRefusedError extends Error {
  override readonly name = 'SagaUpdateRefusedError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The API's door to Temporal: starts sagas idempotently, waits a bounded time for
 * their answer, reads their state, lists them through visibility and signals them.
 */
export function createSagaClient(client: Client, options: { taskQueue: string; waitMs: number; webUiUrl?: string }) {
  const webUi = (options.webUiUrl ?? 'http://127.0.0.1:8233').replace(/\/+$/, '');
  async function readState(handle: WorkflowHandle): Promise<SagaState> {
    try {
      return await handle.query(stateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new SagaNotFoundError(`saga ${handle.workflowId} does not exist`);
      throw err;
    }
  }

  return {
    /** The task queue sagas start on: the one whose pollers /health looks for. */
    taskQueue: options.taskQueue,

    /**
     * Starts a saga under `requestId` (a new id when absent) and waits for its answer.
     * The same request id always reaches the same saga. Its business keys come from its contract.
     */
    async start<C extends AnySagaContract>(contract: C, input: SagaInput<C>, opts: { requestId?: string } = {}): Promise<StartedSaga> {
      const { type, workflowType, idPrefix } = contract;
      const sagaId = sagaIdOf(idPrefix, opts.requestId ?? randomUUID());
      const keys = (contract.keys as (input: SagaInput<C>) => BusinessKeys)(input);
      const searchAttributes: SearchAttributePair[] = [
        { key: SagaTypeKey, value: type },
        { key: SagaStatusKey, value: 'RUNNING' },
      ];
      for (const [name, value] of Object.entries(keys)) {
        if (value) searchAttributes.push({ key: BUSINESS_KEYS[name as keyof BusinessKeys], value });
      }
      const startOptions = {
        taskQueue: options.taskQueue,
        workflowId: sagaId,
        args: [input] as [typeof input],
        workflowIdConflictPolicy: 'USE_EXISTING' as const,
        workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
        typedSearchAttributes: searchAttributes,
        // What the Web UI shows above its history: "Vehicle entry · 34ABC123 · lot Central".
        ...describeSaga(contract, input),
      };
      const operation = new WithStartWorkflowOperation(workflowType, startOptions);
      // One round trip: start (or join) the saga and wait for its answer, for at most waitMs.
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), options.waitMs);
      try {
        const state = await client.withAbortSignal(stop.signal, () =>
          client.workflow.executeUpdateWithStart(answerUpdate, { startWorkflowOperation: operation }),
        );
        return { sagaId, state };
      } catch {
        // Still working after waitMs, ended already (a repeated request for a closed saga), or
        // not started at all: the wait can end before the start reached Temporal. A real outage
        // fails what follows too.
      } finally {
        clearTimeout(timer);
      }
      const handle = client.workflow.getHandle(sagaId);
      let status: string;
      try {
        status = (await handle.describe()).status.name;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // Never started: start it now, without waiting (a twin request that started it meanwhile is joined).
        await client.workflow.start(workflowType, startOptions);
        status = 'RUNNING';
      }
      // An ended saga's final state is its workflow's result: no worker needed to read it.
      if (status === 'COMPLETED') return { sagaId, state: (await handle.result()) as SagaState };
      try {
        return { sagaId, state: await handle.query(stateQuery) };
      } catch (err) {
        if (status !== 'RUNNING') throw err;
        // Started, but no worker has answered yet (all busy, or down): it runs, and says more later.
        // (A requestId reused with another body is told apart once a worker answers.)
        return { sagaId, state: runningState(sagaId, type, input, keys) };
      }
    },

    /** The saga's page in the Temporal Web UI (its latest run). */
    webUiLink(sagaId: string): string {
      return `${webUi}/namespaces/${encodeURIComponent(client.options.namespace)}/workflows/${encodeURIComponent(sagaId)}`;
    },

    /** The saga's current state (a `state` query). */
    async getState(sagaId: string): Promise<SagaState> {
      return readState(client.workflow.getHandle(sagaId));
    },

    /**
     * Runs an update on a running saga and waits for its answer. A refusal (its validator) or a
     * failed update throws SagaUpdateRefusedError with the saga's reason; an ended saga, NOT_RUNNING.
     */
    async update<Ret, Arg>(sagaId: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
      try {
        return await client.workflow.getHandle(sagaId).executeUpdate(update, { args: [arg] });
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new SagaUpdateRefusedError('NOT_RUNNING', `saga ${sagaId} is not running`);
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type) {
          throw new SagaUpdateRefusedError(err.cause.type, err.cause.message);
        }
        throw err;
      }
    },

    /** Sends a signal by name; the saga records it in its audit trail. */
    async signal(sagaId: string, name: ApiSignal, payload: OperatorInput): Promise<void> {
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
      for (const [name, value] of Object.entries(filter.keys ?? {})) if (value) equals(name, value);
      const summaries: SagaSummary[] = [];
      for await (const execution of client.workflow.list({ query: clauses.join(' AND '), pageSize: filter.limit })) {
        const attrs = execution.typedSearchAttributes;
        summaries.push({
          sagaId: execution.workflowId,
          type: attrs.get(SagaTypeKey),
          status: attrs.get(SagaStatusKey),
          keys: Object.fromEntries(
            Object.entries(BUSINESS_KEYS)
              .map(([name, key]) => [name, attrs.get(key)])
              .filter(([, value]) => value !== undefined),
          ),
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

/** What is known of a saga that was started but has not run a step yet. */
function runningState(sagaId: string, type: SagaType, input: unknown, keys: BusinessKeys): SagaState {
  return {
    sagaId,
    type,
    status: 'RUNNING',
    input,
    startedAt: new Date().toISOString(),
    keys: Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
    steps: [],
    awaiting: [compensateSignal.name],
    attention: [],
    actions: [],
  };
}

/** Quotes a value for a visibility query; values are validated upstream, this is the second fence. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
