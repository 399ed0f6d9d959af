import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import { FINAL_STATUSES, stateQuery, type SagaState } from '../../workflows/saga';
import { checkAnswers } from './checks/answers';
import { Checks, loadRecords, readGatewayBooks, sagasFoundInRecords, type GatewayBooks } from './checks/context';
import { checkOrders, checkStock } from './checks/orders';
import { checkEntries, checkExits, checkLots } from './checks/parking';
import { checkPayments } from './checks/payments';
import { checkReservations } from './checks/reservations';
import { checkSagas } from './checks/sagas';

/**
 * The invariants every reliability scenario checks at its end, read from the database, the
 * payment gateway's own books (GET /admin/ledger of the simulator), the answers the clients
 * got, and Temporal. Each check says in words what went wrong; the scenarios expect the list
 * of violations to be empty. The checks live in ./checks, one file per area:
 *
 * - sagas: none lost (every saga final, or waiting in NEEDS_ATTENTION with a reason), none
 *   FAILED beyond what the scenario allows (normally none), none that no client asked for.
 * - no effect done twice, counted by SAGA, not by idempotency key (the schema already makes
 *   keys unique, so a per-key count cannot fire): every stay, entry/exit record, order, stock
 *   movement, reservation, hold and payment row is made under its saga's step key, and a saga
 *   has at most one of each; at the gateway, at most one authorization, capture, void and
 *   refund per order or reservation (from the gateway's effects log).
 * - every rolled-back saga (REJECTED, COMPENSATED and FAILED alike) undid each step it did
 *   not skip on an operator's word: no stay, hold, taken stock or live payment left behind.
 * - parking: OCCUPIED spaces = ACTIVE stays, each on its own space; a RESERVED space belongs to
 *   a paid (COMPLETED) reservation, and a COMPLETED reservation still holds its space.
 * - stock: conserved (available + reserved + sold = what was put in), and once every saga
 *   has ended nothing is left reserved.
 * - payments: our books and the gateway's agree payment by payment (an authorization the
 *   gateway holds is found even when our row is PENDING or a void tombstone); captured −
 *   refunded = confirmed orders + paid reservations in both; once every saga has ended, no
 *   authorization is left hanging.
 * - the notification outbox holds one event per status an order went through, and none other.
 * - what each client was answered (201 / 409) is what its saga ended as.
 */

/** One answer a client got to a saga-starting request. */
export interface ClientAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** What a scenario made: the invariants look at these (and at sagas they find in the database). */
export interface Scope {
  /** Every saga the scenario started (or asked to start: ids are derived from request ids). */
  sagaIds: Set<string>;
  lotIds: Set<string>;
  /** Product id → how much stock was put in. */
  stockPutIn: Map<string, number>;
  /** The users who ordered and reserved. */
  userIds: Set<string>;
  /** Saga id → every answer its client got, in order (the load generator records them). */
  answers: Map<string, ClientAnswer[]>;
}

export function emptyScope(): Scope {
  return { sagaIds: new Set(), lotIds: new Set(), stockPutIn: new Map(), userIds: new Set(), answers: new Map() };
}

export interface SagaSeen {
  sagaId: string;
  /** Temporal's view: RUNNING, COMPLETED, FAILED, ... or NOT_FOUND. */
  workflowStatus: string;
  state?: SagaState;
}

export interface InvariantDeps {
  db: Db;
  temporal: Client;
  /** A payment simulator of the scenario's gateway: its books are compared with ours when given. */
  gatewayUrl?: string;
}

export interface InvariantOptions {
  /** NEEDS_ATTENTION counts as a violation too (after an operator has dealt with what asked for one). */
  requireFinal?: boolean;
  timeoutMs?: number;
  /** How many sagas may end FAILED (a compensation skipped on an operator's word): the scenario says; default none. */
  failedAllowed?: number;
}

/** The saga's state: the workflow's own answer once it completed, the `state` query otherwise. */
export async function readSaga(temporal: Client, sagaId: string): Promise<SagaSeen> {
  const handle = temporal.workflow.getHandle(sagaId);
  let workflowStatus: string;
  try {
    workflowStatus = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { sagaId, workflowStatus: 'NOT_FOUND' };
    throw err;
  }
  if (workflowStatus === 'COMPLETED') return { sagaId, workflowStatus, state: (await handle.result()) as SagaState };
  if (workflowStatus === 'TERMINATED' || workflowStatus === 'TIMED_OUT' || workflowStatus === 'FAILED') return { sagaId, workflowStatus };
  return { sagaId, workflowStatus, state: await handle.query(stateQuery) };
}

/** Settled: ended for good (final status, workflow closed), or parked for an operator. */
export function isSettled(seen: SagaSeen): boolean {
  if (!seen.state) return seen.workflowStatus !== 'RUNNING';
  if (seen.state.status === 'NEEDS_ATTENTION') return true;
  return FINAL_STATUSES.includes(seen.state.status) && seen.workflowStatus !== 'RUNNING';
}

/**
 * Polls every saga until each is settled (see isSettled) or `timeoutMs` passes; answers what it
 * saw last. A saga Temporal does not know is left as NOT_FOUND (the checks decide if that is wrong).
 */
export async function waitForSagas(temporal: Client, sagaIds: Iterable<string>, timeoutMs = 120_000): Promise<Map<string, SagaSeen>> {
  const seen = new Map<string, SagaSeen>();
  const pending = new Set(sagaIds);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = [...pending];
    for (let i = 0; i < batch.length; i += 16) {
      await Promise.all(
        batch.slice(i, i + 16).map(async (id) => {
          const s = await readSaga(temporal, id).catch((err: unknown) => ({ sagaId: id, workflowStatus: `UNREADABLE: ${String(err)}` }) as SagaSeen);
          seen.set(id, s);
          if (isSettled(s) || s.workflowStatus === 'NOT_FOUND') pending.delete(id);
        }),
      );
    }
    if (pending.size === 0 || Date.now() > deadline) return seen;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export interface InvariantReport {
  violations: string[];
  /** Sagas by final status (NEEDS_ATTENTION and Temporal failures included). */
  statuses: Record<string, number>;
  /** Sagas found in the database that the scenario did not track (each is a violation too). */
  untracked: string[];
  sagas: Map<string, SagaSeen>;
}

/** Checks every invariant over the scope: reads the sagas from Temporal (waiting for them to settle), then checks the records. */
export async function checkInvariants(deps: InvariantDeps, scope: Scope, options: InvariantOptions = {}): Promise<InvariantReport> {
  const found = sagasFoundInRecords(await loadRecords(deps.db, scope, scope.sagaIds), scope);
  const sagas = await waitForSagas(deps.temporal, new Set([...scope.sagaIds, ...found]), options.timeoutMs ?? 120_000);
  const gateway = deps.gatewayUrl ? await readGatewayBooks(deps.gatewayUrl) : undefined;
  const violations = await checkRecords({ db: deps.db, scope, sagas, ...(gateway && { gateway }) }, options);
  const statuses: Record<string, number> = {};
  for (const seen of sagas.values()) {
    const label = seen.state?.status ?? seen.workflowStatus;
    statuses[label] = (statuses[label] ?? 0) + 1;
  }
  return { violations, statuses, untracked: [...found].filter((id) => !scope.sagaIds.has(id)), sagas };
}

/**
 * The checks proper, over sagas already read: what the database, the gateway's books and the
 * clients' answers say against what each saga says it did. (The checker's own test feeds it
 * crafted states of a real database.)
 */
export async function checkRecords(
  input: { db: Db; scope: Scope; sagas: Map<string, SagaSeen>; gateway?: GatewayBooks },
  options: Pick<InvariantOptions, 'requireFinal' | 'failedAllowed'> = {},
): Promise<string[]> {
  const records = await loadRecords(input.db, input.scope, input.sagas.keys());
  const checks = new Checks({ ...input, records, requireFinal: options.requireFinal ?? false, failedAllowed: options.failedAllowed ?? 0 });
  checkSagas(checks);
  checkEntries(checks);
  checkExits(checks);
  checkLots(checks);
  checkReservations(checks);
  checkOrders(checks);
  checkStock(checks);
  checkPayments(checks);
  checkAnswers(checks);
  return checks.violations;
}
