import type { Db } from '../../../db/client';
import type { LedgerEffect, Payment as GatewayPayment } from '../../../simulators/payment-gateway';
import { FINAL_STATUSES, SAGAS, parseStepKey, stepKey, type AnySagaContract, type SagaState } from '../../../workflows/contracts';
import type { SagaSeen, Scope } from '../invariants';

/** The payment gateway's own books, as its admin endpoint tells them. */
export interface GatewayBooks {
  payments: GatewayPayment[];
  effects: LedgerEffect[];
}

export async function readGatewayBooks(url: string): Promise<GatewayBooks> {
  const res = await fetch(`${url}/admin/ledger`);
  if (!res.ok) throw new Error(`GET ${url}/admin/ledger: HTTP ${res.status}`);
  return (await res.json()) as GatewayBooks;
}

/** A saga kind by its id prefix (entry, exit, order, reservation). */
export type SagaType = AnySagaContract['idPrefix'];
export const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'CANCELLED'] as const;
const SAGA_ID = new RegExp(`^(${Object.values(SAGAS).map((saga) => saga.idPrefix).join('|')})-`);

/** The saga an idempotency key belongs to: keys are `<sagaId>/<step>`. */
export const sagaOfKey = (key: string): string => parseStepKey(key)?.sagaId ?? key;
export const typeOfSaga = (sagaId: string): string => sagaId.split('-')[0]!;

/** Rows whose field is one of `values`, 200 values per query (the SQLite driver bounds a query's parameters). */
async function whereIn<T extends { id: string }>(values: string[], query: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const rows = new Map<string, T>();
  for (let i = 0; i < values.length; i += 200) for (const row of await query(values.slice(i, i + 200))) rows.set(row.id, row);
  return [...rows.values()];
}

/** The rows of several such queries, each once. */
const union = <T extends { id: string }>(...lists: T[][]): T[] => [...new Map(lists.flat().map((row) => [row.id, row])).values()];

/**
 * Every row the checks look at, read once and filtered to the scope (its lots, users and
 * products, and rows whose keys belong to its sagas). Rows are matched to sagas by the
 * saga id their keys start with, so a row made under a wrong key is still seen.
 */
export async function loadRecords(db: Db, scope: Scope, sagaIds: Iterable<string>) {
  const lotIds = [...scope.lotIds];
  const userIds = [...scope.userIds];
  const productIds = [...scope.stockPutIn.keys()];
  const ids = [...new Set([...scope.sagaIds, ...sagaIds])];
  const keysOf = (type: SagaType, step: string) => ids.filter((id) => typeOfSaga(id) === type).map((id) => stepKey(id, step));
  const orders = union(
    await whereIn(userIds, (chunk) => db.order.findMany({ where: { userId: { in: chunk } }, include: { lines: true } })),
    await whereIn(keysOf('order', 'createOrder'), (chunk) => db.order.findMany({ where: { key: { in: chunk } }, include: { lines: true } })),
  );
  const reservations = union(
    await whereIn(userIds, (chunk) => db.reservation.findMany({ where: { userId: { in: chunk } } })),
    await whereIn(keysOf('reservation', 'createReservation'), (chunk) => db.reservation.findMany({ where: { key: { in: chunk } } })),
  );
  const references = [...orders.map((o) => o.id), ...reservations.map((r) => r.id)];
  const paymentKeys = [...keysOf('order', 'authorizePayment'), ...keysOf('reservation', 'authorizePayment')];
  const eventKeys = orders.flatMap((o) => ORDER_STATUSES.map((status) => `order:${o.id}:${status}`));
  return {
    spaces: await whereIn(lotIds, (chunk) => db.space.findMany({ where: { lotId: { in: chunk } } })),
    stays: await whereIn(lotIds, (chunk) => db.stay.findMany({ where: { lotId: { in: chunk } } })),
    entryRecords: await whereIn(lotIds, (chunk) => db.entryRecord.findMany({ where: { lotId: { in: chunk } } })),
    exitRecords: await whereIn(lotIds, (chunk) => db.exitRecord.findMany({ where: { lotId: { in: chunk } } })),
    orders,
    reservations,
    stock: await db.stock.findMany({ where: { productId: { in: productIds } } }),
    movements: await whereIn(productIds, (chunk) => db.stockMovement.findMany({ where: { productId: { in: chunk } } })),
    stockReservations: union(
      await whereIn(orders.map((o) => o.id), (chunk) => db.stockReservation.findMany({ where: { orderId: { in: chunk } } })),
      await whereIn(keysOf('order', 'reserveStock'), (chunk) => db.stockReservation.findMany({ where: { key: { in: chunk } } })),
    ),
    payments: union(
      await whereIn(references, (chunk) => db.payment.findMany({ where: { reference: { in: chunk } } })),
      await whereIn(paymentKeys, (chunk) => db.payment.findMany({ where: { key: { in: chunk } } })),
    ),
    outbox: union(
      await whereIn(userIds, (chunk) => db.notificationOutbox.findMany({ where: { userId: { in: chunk } } })),
      await whereIn(eventKeys, (chunk) => db.notificationOutbox.findMany({ where: { eventKey: { in: chunk } } })),
    ),
  };
}

export type Records = Awaited<ReturnType<typeof loadRecords>>;

/** Sagas that left a mark in the scope's records (their keys start with the saga id). */
export function sagasFoundInRecords(records: Records, scope: Scope): Set<string> {
  const keys = [
    ...records.stays.flatMap((s) => [s.key, ...(s.releaseKey ? [s.releaseKey] : [])]),
    ...records.spaces.flatMap((s) => (s.holderKey ? [s.holderKey] : [])),
    ...records.entryRecords.map((r) => r.key),
    ...records.exitRecords.map((r) => r.key),
    ...records.orders.filter((o) => scope.userIds.has(o.userId)).map((o) => o.key),
    ...records.reservations.filter((r) => scope.userIds.has(r.userId)).map((r) => r.key),
    ...records.movements.map((m) => m.key),
  ];
  return new Set(keys.map(sagaOfKey).filter((id) => SAGA_ID.test(id)));
}

/** Rows grouped by the saga their key belongs to. */
export function bySaga<T>(rows: T[], keyOf: (row: T) => string | null): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    if (key === null) continue;
    const id = sagaOfKey(key);
    map.set(id, [...(map.get(id) ?? []), row]);
  }
  return map;
}

/** A REJECTED, COMPENSATED or FAILED saga: one that rolled back. */
export const rolledBack = (state: SagaState): boolean => state.status === 'REJECTED' || state.status === 'COMPENSATED' || state.status === 'FAILED';

/**
 * The saga rolled back and undid `step` (or never got to it): its effect must be gone. Only an
 * operator's skipCompensation (which leaves a saga FAILED) excuses a step's effect from staying.
 */
export function undid(state: SagaState, step: string): boolean {
  if (!rolledBack(state)) return false;
  return state.steps.find((s) => s.name === step)?.compensation !== 'SKIPPED';
}

export interface CheckInput {
  db: Db;
  scope: Scope;
  sagas: Map<string, SagaSeen>;
  gateway?: GatewayBooks;
  records: Records;
  requireFinal: boolean;
  failedAllowed: number;
}

/** What every check reads, and where it says what went wrong. */
export class Checks {
  readonly violations: string[] = [];
  /** Every saga has ended for good: nothing is in flight, so nothing may still be held, taken or authorized. */
  readonly allEnded: boolean;

  constructor(readonly input: CheckInput) {
    this.allEnded = [...input.sagas.values()].every((s) => s.state && FINAL_STATUSES.includes(s.state.status) && s.workflowStatus !== 'RUNNING');
  }

  get records(): Records {
    return this.input.records;
  }

  v(message: string): void {
    this.violations.push(message);
  }

  state(sagaId: string): SagaState | undefined {
    return this.input.sagas.get(sagaId)?.state;
  }

  /** The ids of the sagas of one type (among those tracked or found). */
  ofType(type: SagaType): string[] {
    return [...this.input.sagas.keys()].filter((id) => typeOfSaga(id) === type);
  }

  /** An operator skipped the compensation of the saga's `step`: its effect stays, knowingly (the saga ended FAILED). */
  skipped(sagaId: string, step: string): boolean {
    return this.state(sagaId)?.steps.some((s) => s.name === step && s.compensation === 'SKIPPED') ?? false;
  }

  /** True when `key` is the key of `step` of a saga of `type` that the checks know. */
  isStepKey(key: string, type: SagaType, ...steps: string[]): boolean {
    const id = sagaOfKey(key);
    return typeOfSaga(id) === type && this.input.sagas.has(id) && steps.some((step) => key === stepKey(id, step));
  }
}
