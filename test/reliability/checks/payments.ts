import { bySaga, rolledBack, sagaOfKey, undid, type Checks } from './context';

const PAID_RESERVATION = ['COMPLETED', 'USED', 'EXPIRED'];
/** What a payment keeps of its amount: all of it once captured, what was not given back once refunded. */
const kept = (p: { status: string; amount: number; refundedAmount?: number }) =>
  p.status === 'CAPTURED' ? p.amount : p.status === 'REFUNDED' ? p.amount - (p.refundedAmount ?? 0) : 0;
const live = (status: string) => status === 'PENDING' || status === 'AUTHORIZED' || status === 'CAPTURED';

/**
 * Payments, in our books: one row per order or reservation, made under its saga's
 * authorizePayment key; a rolled-back saga left none live; once every saga has ended none is
 * PENDING or AUTHORIZED; captured − refunded = confirmed orders + paid reservations. (A
 * compensation an operator skipped excuses its payment from settling.) And at the gateway (its own books, when given): see checkGateway.
 */
export function checkPayments(c: Checks): void {
  const { payments, orders, reservations } = c.records;
  const references = new Map<string, string>([...orders.map((o) => [o.id, o.key] as const), ...reservations.map((r) => [r.id, r.key] as const)]);
  for (const p of payments) {
    if (!c.isStepKey(p.key, 'order', 'authorizePayment') && !c.isStepKey(p.key, 'reservation', 'authorizePayment')) c.v(`payment ${p.id} was made under ${p.key}, no saga's authorizePayment`);
    if (c.allEnded && (p.status === 'PENDING' || p.status === 'AUTHORIZED') && !c.skipped(sagaOfKey(p.key), 'authorizePayment')) c.v(`payment ${p.key} of ${p.amount} is still ${p.status} after every saga ended`);
  }
  for (const [sagaId, rows] of bySaga(payments, (p) => p.key)) if (rows.length > 1) c.v(`saga ${sagaId} made ${rows.length} payments: ${rows.map((p) => p.key).join(', ')}`);
  for (const reference of references.keys()) {
    const mine = payments.filter((p) => p.reference === reference);
    if (mine.length > 1) c.v(`${references.get(reference)} has ${mine.length} payments`);
  }
  for (const id of [...c.ofType('order'), ...c.ofType('reservation')]) {
    const state = c.state(id);
    if (!state || !rolledBack(state) || !undid(state, 'authorizePayment')) continue;
    for (const p of payments.filter((row) => sagaOfKey(row.key) === id)) if (live(p.status)) c.v(`${state.status} saga ${id} left a ${p.status} payment of ${p.amount}`);
  }
  const expected =
    orders.filter((o) => o.status === 'CONFIRMED').reduce((n, o) => n + o.total, 0) +
    reservations.filter((r) => PAID_RESERVATION.includes(r.status)).reduce((n, r) => n + r.amount, 0);
  const inOurBooks = payments.filter((p) => references.has(p.reference)).reduce((n, p) => n + kept(p), 0);
  if (inOurBooks !== expected) c.v(`payments: captured − refunded is ${inOurBooks} in our books, confirmed orders and paid reservations make ${expected}`);
  for (const r of reservations.filter((x) => PAID_RESERVATION.includes(x.status))) {
    const paid = payments.filter((p) => p.reference === r.id);
    if (paid.length !== 1 || paid[0]!.status !== 'CAPTURED' || paid[0]!.amount !== r.amount) c.v(`paid reservation ${r.key} (${r.amount}) has payments ${JSON.stringify(paid.map((p) => [p.status, p.amount]))}`);
  }
  if (c.input.gateway) checkGateway(c, references, expected);
}

/**
 * The gateway's books against ours. Its effects log counts what it DID: at most one
 * authorization, one capture and one void per order or reservation, and never both a capture
 * and a void (a changed reservation would have one more payment per change that charged; the
 * scenarios change none). Refunds may be several (a cheaper change, then the cancellation),
 * each under its own key: the sums below catch one refunded twice under two keys. Every payment it holds for one of ours is in our books under its
 * payment id, in the same state and amount (so an authorization behind a PENDING row or a void
 * tombstone shows). Once every saga has ended it holds no authorization, and captured −
 * refunded there makes the same sum as in our books.
 */
function checkGateway(c: Checks, references: Map<string, string>, expected: number): void {
  const { payments, effects } = c.input.gateway!;
  const sagaIds = new Set(c.input.sagas.keys());
  const ours = effects.filter((e) => references.has(e.reference) || sagaIds.has(sagaOfKey(e.idempotencyKey.replace(/^[a-z]+:/, ''))));
  const byReference = new Map<string, typeof ours>();
  for (const e of ours) byReference.set(e.reference, [...(byReference.get(e.reference) ?? []), e]);
  for (const [reference, done] of byReference) {
    const name = references.get(reference) ?? `unknown reference "${reference}"`;
    if (!references.has(reference)) c.v(`the gateway did ${done.map((e) => `${e.operation} (${e.idempotencyKey})`).join(', ')} for ${name}`);
    const count = (op: string) => done.filter((e) => e.operation === op).length;
    for (const op of ['authorize', 'capture', 'void']) if (count(op) > 1) c.v(`the gateway did ${op} ${count(op)} times for ${name}: ${done.filter((e) => e.operation === op).map((e) => e.idempotencyKey).join(', ')}`);
    if (count('capture') > 0 && count('void') > 0) c.v(`the gateway both captured and voided for ${name}`);
  }
  const held = payments.filter((p) => references.has(p.reference));
  for (const p of held) {
    const row = c.records.payments.find((r) => r.gatewayPaymentId === p.paymentId);
    const name = references.get(p.reference);
    if (!row) {
      const rows = c.records.payments.filter((r) => r.reference === p.reference || r.key.startsWith(`${sagaOfKey(name ?? '')}/`));
      c.v(`the gateway holds ${p.status} ${p.paymentId} of ${p.amount} for ${name}; our books show ${JSON.stringify(rows.map((r) => [r.key, r.status, r.gatewayPaymentId]))}`);
    } else if (row.status !== p.status || row.amount !== p.amount) {
      c.v(`payment ${row.key} is ${row.status} of ${row.amount} in our books, ${p.status} of ${p.amount} at the gateway`);
    }
    if (c.allEnded && p.status === 'AUTHORIZED' && !c.skipped(sagaOfKey(name ?? ''), 'authorizePayment')) c.v(`the gateway still holds an authorization of ${p.amount} for ${name} after every saga ended`);
  }
  for (const row of c.records.payments.filter((r) => r.gatewayPaymentId)) {
    if (!payments.some((p) => p.paymentId === row.gatewayPaymentId)) c.v(`payment ${row.key} names ${row.gatewayPaymentId}, which the gateway does not know`);
  }
  const atGateway = held.reduce((n, p) => n + kept(p), 0);
  if (atGateway !== expected) c.v(`payments: captured − refunded is ${atGateway} at the gateway, confirmed orders and paid reservations make ${expected}`);
}
