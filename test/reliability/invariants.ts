import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import type { PaymentLedger } from '../../simulators/payment-gateway';
import { FINAL_STATUSES, stateQuery, type SagaState } from '../../workflows/saga';

/**
 * The invariants every reliability scenario checks at its end, read from the database, the
 * payment gateway's books and Temporal. Each check says in words what went wrong; the
 * scenarios expect the list of violations to be empty.
 *
 * - No saga lost: every saga started reaches a final state (COMPLETED, REJECTED,
 *   COMPENSATED, FAILED: the `state` query, or the state the workflow returned) or waits in
 *   NEEDS_ATTENTION with a reason; none is failed, terminated or timed out in Temporal.
 * - No effect done twice: one Stay and one entry record per entry saga, one release and one
 *   exit record per exit saga, one stock movement per order line, one authorization and at
 *   most one capture per payment (in our books and in the gateway's); and what a saga
 *   answered matches what it left in the database.
 * - Parking occupancy equals open stays: per lot, OCCUPIED spaces = ACTIVE stays, each on its
 *   own space; every RESERVED space is held by a paid (COMPLETED) reservation.
 * - Stock conserved: per product, available + reserved + sold = what was put in, none
 *   negative, reserved = the lines held by orders in flight, sold = the lines of orders sold.
 * - Payments balance: captured − refunded (in our books AND at the gateway) = the totals of
 *   confirmed orders + the amounts of completed, used and expired reservations.
 */

/** What a scenario made: the invariants look at these (and at sagas they find in the database). */
export interface Scope {
  /** Every saga the scenario started (or asked to start: ids are derived from request ids). */
  sagaIds: Set<string>;
  lotIds: Set<string>;
  /** Product id → how much stock was put in. */
  stockPutIn: Map<string, number>;
  /** The users who ordered and reserved. */
  userIds: Set<string>;
}

export function emptyScope(): Scope {
  return { sagaIds: new Set(), lotIds: new Set(), stockPutIn: new Map(), userIds: new Set() };
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
  /** The payment gateway's books (the simulators share one): checked against ours when given. */
  ledger?: PaymentLedger;
}

const sagaTypeOf = (sagaId: string) => sagaId.split('-')[0];

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

/** Sagas that left a mark in the database under the scope's lots and users (their keys start with the saga id). */
async function sagasFoundInDatabase(db: Db, scope: Scope): Promise<Set<string>> {
  const lotIds = [...scope.lotIds];
  const userIds = [...scope.userIds];
  const keys: string[] = [];
  const stays = await db.stay.findMany({ where: { lotId: { in: lotIds } }, select: { key: true, releaseKey: true } });
  for (const s of stays) keys.push(s.key, ...(s.releaseKey ? [s.releaseKey] : []));
  keys.push(...(await db.entryRecord.findMany({ where: { lotId: { in: lotIds } }, select: { key: true } })).map((r) => r.key));
  keys.push(...(await db.exitRecord.findMany({ where: { lotId: { in: lotIds } }, select: { key: true } })).map((r) => r.key));
  keys.push(...(await db.order.findMany({ where: { userId: { in: userIds } }, select: { key: true } })).map((r) => r.key));
  keys.push(...(await db.reservation.findMany({ where: { userId: { in: userIds } }, select: { key: true } })).map((r) => r.key));
  return new Set(keys.map((k) => k.split('/')[0]!).filter((id) => /^(entry|exit|order|reservation)-/.test(id)));
}

export interface InvariantReport {
  violations: string[];
  /** Sagas by final status (NEEDS_ATTENTION and Temporal failures included). */
  statuses: Record<string, number>;
  /** Sagas found in the database that the scenario did not track. */
  untracked: string[];
  sagas: Map<string, SagaSeen>;
}

/**
 * Checks every invariant over the scope. `requireFinal`: NEEDS_ATTENTION counts as a
 * violation too (after an operator has dealt with what asked for one).
 */
export async function checkInvariants(deps: InvariantDeps, scope: Scope, options: { requireFinal?: boolean; timeoutMs?: number } = {}): Promise<InvariantReport> {
  const { db, temporal, ledger } = deps;
  const violations: string[] = [];
  const v = (message: string) => violations.push(message);

  // ---------- no saga lost ----------
  const found = await sagasFoundInDatabase(db, scope);
  const untracked = [...found].filter((id) => !scope.sagaIds.has(id));
  const sagas = await waitForSagas(temporal, new Set([...scope.sagaIds, ...found]), options.timeoutMs ?? 120_000);
  const statuses: Record<string, number> = {};
  for (const seen of sagas.values()) {
    const label = seen.state?.status ?? seen.workflowStatus;
    statuses[label] = (statuses[label] ?? 0) + 1;
    if (!seen.state) {
      v(`saga ${seen.sagaId} is lost: Temporal says ${seen.workflowStatus}`);
      continue;
    }
    const status = seen.state.status;
    if (status === 'NEEDS_ATTENTION') {
      if (options.requireFinal) v(`saga ${seen.sagaId} still needs attention: ${JSON.stringify(seen.state.attention)}`);
      else if (seen.state.attention.length === 0) v(`saga ${seen.sagaId} needs attention without saying why`);
    } else if (!FINAL_STATUSES.includes(status)) {
      v(`saga ${seen.sagaId} never finished: ${status} (workflow ${seen.workflowStatus}), steps ${JSON.stringify(seen.state.steps)}`);
    } else if (status !== 'COMPLETED' && !seen.state.reason) {
      v(`saga ${seen.sagaId} ended ${status} without a reason`);
    }
  }
  const stateOf = (id: string) => sagas.get(id)?.state;
  const ofType = (type: string) => [...sagas.keys()].filter((id) => sagaTypeOf(id) === type);

  // ---------- vehicle entries and exits: one effect each, matching the answer ----------
  for (const id of ofType('entry')) {
    const state = stateOf(id);
    if (!state) continue;
    const stays = await db.stay.findMany({ where: { key: { in: [`${id}/allocateSpace`, `${id}/occupyReservedSpace`] } } });
    const records = await db.entryRecord.findMany({ where: { key: `${id}/createEntryRecord` } });
    if (stays.length > 1) v(`entry ${id} opened ${stays.length} stays`);
    if (records.length > 1) v(`entry ${id} made ${records.length} entry records`);
    if (state.status === 'COMPLETED') {
      const result = state.result as { stayId: string; entryRecordId: string } | undefined;
      if (stays.length !== 1 || records.length !== 1) v(`completed entry ${id} has ${stays.length} stays and ${records.length} entry records`);
      else {
        if (result?.stayId !== stays[0]!.id) v(`entry ${id} answered stay ${result?.stayId}, the database has ${stays[0]!.id}`);
        if (result?.entryRecordId !== records[0]!.id) v(`entry ${id} answered record ${result?.entryRecordId}, the database has ${records[0]!.id}`);
        if (records[0]!.status !== 'ACTIVE') v(`completed entry ${id} has a ${records[0]!.status} entry record`);
      }
    } else if (state.status === 'REJECTED' || state.status === 'COMPENSATED') {
      for (const s of stays) if (s.status !== 'RELEASED') v(`${state.status} entry ${id} left its stay ${s.status}`);
      for (const r of records) if (r.status !== 'CANCELLED') v(`${state.status} entry ${id} left its entry record ${r.status}`);
    }
  }
  for (const id of ofType('exit')) {
    const state = stateOf(id);
    if (!state) continue;
    const released = await db.stay.findMany({ where: { releaseKey: `${id}/releaseSpace` } });
    const records = await db.exitRecord.findMany({ where: { key: `${id}/createExitRecord` } });
    if (state.status === 'COMPLETED') {
      const result = state.result as { stayId: string; exitRecordId: string } | undefined;
      if (released.length !== 1 || released[0]!.status !== 'RELEASED') v(`completed exit ${id} released ${JSON.stringify(released.map((s) => s.status))}`);
      else if (result?.stayId !== released[0]!.id) v(`exit ${id} answered stay ${result?.stayId}, released ${released[0]!.id}`);
      if (records.length !== 1 || records[0]!.status !== 'ACTIVE' || records[0]!.id !== result?.exitRecordId) {
        v(`completed exit ${id} has exit records ${JSON.stringify(records)} (answered ${result?.exitRecordId})`);
      }
    } else if (state.status === 'REJECTED' || state.status === 'COMPENSATED') {
      if (released.length !== 0) v(`${state.status} exit ${id} still holds the release of stay ${released[0]!.id}`);
      for (const r of records) if (r.status !== 'CANCELLED') v(`${state.status} exit ${id} left its exit record ${r.status}`);
    }
  }

  // ---------- orders and reservations: stock moved once per line, paid once ----------
  const paymentsFor = (reference: string) => db.payment.findMany({ where: { reference } });
  const live = (p: { status: string }) => p.status === 'PENDING' || p.status === 'AUTHORIZED' || p.status === 'CAPTURED';
  for (const id of ofType('order')) {
    const state = stateOf(id);
    if (!state) continue;
    const order = await db.order.findUnique({ where: { key: `${id}/createOrder` }, include: { lines: true } });
    const movements = await db.stockMovement.findMany({ where: { key: `${id}/reserveStock` } });
    const payments = order ? await paymentsFor(order.id) : [];
    if (order && order.userId !== '' && movements.length > 0) {
      // All or nothing: a reservation stops at its first line short of stock (or when it is
      // released under it) and gives back what it took, so only one that holds or sold its
      // stock must have moved every line. Each movement is one of the order's lines, as ordered.
      const header = await db.stockReservation.findUnique({ where: { key: `${id}/reserveStock` } });
      const whole = header?.status === 'RESERVED' || header?.status === 'COMMITTED';
      if (whole ? movements.length !== order.lines.length : movements.length > order.lines.length) {
        v(`order ${id} (stock ${header?.status}) has ${order.lines.length} lines but ${movements.length} stock movements`);
      }
      for (const m of movements) {
        const line = order.lines.find((l) => l.productId === m.productId);
        if (line?.quantity !== m.quantity) v(`order ${id} moved ${m.quantity} of ${m.productId}, its lines say ${line?.quantity ?? 'none'}`);
      }
    }
    if (state.status === 'COMPLETED') {
      if (order?.status !== 'CONFIRMED') v(`completed order saga ${id} left the order ${order?.status}`);
      if (movements.length !== order?.lines.length || movements.some((m) => m.status !== 'COMMITTED')) {
        v(`confirmed order ${id}: stock movements ${JSON.stringify(movements.map((m) => [m.productId, m.quantity, m.status]))}`);
      }
      for (const line of order?.lines ?? []) {
        const m = movements.find((x) => x.productId === line.productId);
        if (m && m.quantity !== line.quantity) v(`order ${id} sold ${m.quantity} of ${line.productId}, the line says ${line.quantity}`);
      }
      if (payments.length !== 1 || payments[0]!.status !== 'CAPTURED' || payments[0]!.amount !== order?.total) {
        v(`confirmed order ${id} (total ${order?.total}) has payments ${JSON.stringify(payments.map((p) => [p.status, p.amount]))}`);
      }
    } else if (state.status === 'REJECTED' || state.status === 'COMPENSATED') {
      if (order && order.status !== 'CANCELLED') v(`${state.status} order saga ${id} left the order ${order.status}`);
      for (const m of movements) if (m.status !== 'RELEASED') v(`${state.status} order ${id} left ${m.quantity} of ${m.productId} ${m.status}`);
      for (const p of payments) if (live(p)) v(`${state.status} order ${id} left a ${p.status} payment of ${p.amount}`);
    }
  }
  for (const id of ofType('reservation')) {
    const state = stateOf(id);
    if (!state) continue;
    const record = await db.reservation.findUnique({ where: { key: `${id}/createReservation` } });
    const payments = record ? await paymentsFor(record.id) : [];
    const held = await db.space.findMany({ where: { holderKey: `${id}/holdSpace` } });
    if (state.status === 'COMPLETED') {
      if (!record || !['COMPLETED', 'USED', 'EXPIRED'].includes(record.status)) v(`completed reservation saga ${id} left the reservation ${record?.status}`);
      if (payments.length !== 1 || payments[0]!.status !== 'CAPTURED' || payments[0]!.amount !== record?.amount) {
        v(`paid reservation ${id} (amount ${record?.amount}) has payments ${JSON.stringify(payments.map((p) => [p.status, p.amount]))}`);
      }
    } else if (state.status === 'REJECTED' || state.status === 'COMPENSATED') {
      if (record && record.status !== 'CANCELLED') v(`${state.status} reservation saga ${id} left the reservation ${record.status}`);
      for (const p of payments) if (live(p)) v(`${state.status} reservation ${id} left a ${p.status} payment of ${p.amount}`);
      for (const s of held) if (s.status === 'RESERVED') v(`${state.status} reservation ${id} still holds space ${s.id}`);
    }
  }

  // ---------- parking: occupancy = open stays, holds belong to paid reservations ----------
  for (const lotId of scope.lotIds) {
    const spaces = await db.space.findMany({ where: { lotId } });
    const active = await db.stay.findMany({ where: { lotId, status: 'ACTIVE' } });
    const occupied = spaces.filter((s) => s.status === 'OCCUPIED');
    if (occupied.length !== active.length) v(`lot ${lotId}: ${occupied.length} spaces OCCUPIED but ${active.length} stays ACTIVE`);
    for (const stay of active) {
      const space = spaces.find((s) => s.holderKey === stay.key);
      if (!space || space.status !== 'OCCUPIED' || space.plate !== stay.plate || space.id !== stay.spaceId) {
        v(`lot ${lotId}: active stay ${stay.key} of ${stay.plate} is not on its space (${JSON.stringify(space)})`);
      }
    }
    for (const space of spaces.filter((s) => s.status === 'RESERVED')) {
      const booking = await db.reservation.findFirst({ where: { holdKey: space.holderKey ?? '' } });
      if (booking?.status !== 'COMPLETED') v(`lot ${lotId}: space ${space.number} is held for a reservation that is ${booking?.status ?? 'missing'}`);
    }
    for (const space of spaces.filter((s) => s.status === 'FREE')) {
      if (space.plate !== null || space.holderKey !== null) v(`lot ${lotId}: free space ${space.number} still names ${space.plate} / ${space.holderKey}`);
    }
  }

  // ---------- stock conserved ----------
  for (const [productId, putIn] of scope.stockPutIn) {
    const stock = await db.stock.findUnique({ where: { productId } });
    const movements = await db.stockMovement.findMany({ where: { productId } });
    const sum = (status: string) => movements.filter((m) => m.status === status).reduce((n, m) => n + m.quantity, 0);
    const { available = 0, reserved = 0, sold = 0 } = stock ?? {};
    if (available < 0 || reserved < 0 || sold < 0) v(`product ${productId} has negative stock: ${JSON.stringify(stock)}`);
    if (available + reserved + sold !== putIn) v(`product ${productId}: ${available} + ${reserved} + ${sold} ≠ ${putIn} put in`);
    if (reserved !== sum('TAKEN')) v(`product ${productId}: ${reserved} reserved but order lines hold ${sum('TAKEN')}`);
    if (sold !== sum('COMMITTED')) v(`product ${productId}: ${sold} sold but orders sold ${sum('COMMITTED')}`);
  }

  // ---------- payments: once each, and they balance ----------
  const orders = await db.order.findMany({ where: { userId: { in: [...scope.userIds] } } });
  const reservations = await db.reservation.findMany({ where: { userId: { in: [...scope.userIds] } } });
  const references = new Set([...orders.map((o) => o.id), ...reservations.map((r) => r.id)]);
  const payments = await db.payment.findMany({ where: { reference: { in: [...references] } } });
  const kept = (p: { status: string; amount: number; refundedAmount?: number }) =>
    p.status === 'CAPTURED' ? p.amount : p.status === 'REFUNDED' ? p.amount - (p.refundedAmount ?? 0) : 0;
  const expected =
    orders.filter((o) => o.status === 'CONFIRMED').reduce((n, o) => n + o.total, 0) +
    reservations.filter((r) => ['COMPLETED', 'USED', 'EXPIRED'].includes(r.status)).reduce((n, r) => n + r.amount, 0);
  const inOurBooks = payments.reduce((n, p) => n + kept(p), 0);
  if (inOurBooks !== expected) v(`payments: captured − refunded is ${inOurBooks} in our books, confirmed orders and paid reservations make ${expected}`);
  for (const reference of references) {
    const mine = payments.filter((p) => p.reference === reference);
    if (mine.length > 1) v(`${reference} has ${mine.length} payments`);
    if (mine.filter((p) => p.status === 'CAPTURED' || p.status === 'REFUNDED').length > 1) v(`${reference} was captured more than once`);
  }
  if (ledger) {
    const atGateway = [...ledger.payments.values()].filter((p) => references.has(p.reference));
    const byReference = new Map<string, number>();
    for (const p of atGateway) byReference.set(p.reference, (byReference.get(p.reference) ?? 0) + 1);
    for (const [reference, n] of byReference) if (n > 1) v(`the gateway authorized ${reference} ${n} times`);
    const atGatewayKept = atGateway.reduce((n, p) => n + kept(p), 0);
    if (atGatewayKept !== expected) v(`payments: captured − refunded is ${atGatewayKept} at the gateway, confirmed orders and paid reservations make ${expected}`);
    for (const p of payments.filter((x) => x.gatewayPaymentId)) {
      const there = ledger.payments.get(p.gatewayPaymentId!);
      if (!there || there.status !== p.status) v(`payment ${p.key} is ${p.status} in our books, ${there?.status ?? 'unknown'} at the gateway`);
    }
  }

  return { violations, statuses, untracked, sagas };
}
