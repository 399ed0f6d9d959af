import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExternalServicesConfig } from '../../config/external-services';
import type { Db } from '../../db/client';
import { createDomains, type Domains } from '../../domains';
import { gatewayKey } from '../../domains/payments';
import { ResilienceRegistry } from '../../resilience/registry';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { createRegistryPaymentGateway } from '../../vendors/payment-gateway';
import type { SagaState, SagaStatus, StepState } from '../../workflows/saga';
import { connectDb, uid } from '../domains/helpers';
import { uniquePlate } from '../support/stack';
import { readGatewayBooks } from './checks/context';
import { checkRecords, emptyScope, type SagaSeen, type Scope } from './invariants';

/**
 * The checker's own test: each invariant fires on the bad state it names. A small world is
 * made the way the sagas make it (the real domain services on the suite's database, payments
 * through a payment simulator), and the sagas' states are given as the workflows would report
 * them. The consistent world passes; then each case breaks one thing (as a broken idempotency
 * path, a missing compensation or a lost write would) and the checker must say so.
 */
let db: Db;
let d: Domains;
let gateway: RunningSimulator;
beforeAll(async () => {
  db = await connectDb();
  gateway = await startSimulator('payment', { port: 0, name: 'checker-gateway' });
  const breaker = { slidingWindowSize: 100, minimumNumberOfCalls: 100, failureRateThreshold: 100, waitDurationInOpenState: 1_000 };
  const config = parseExternalServicesConfig({ services: { payment: { instances: [{ id: 'checker-gateway', url: gateway.url }], timeoutMs: 5_000, breaker } } });
  const registry = new ResilienceRegistry({ config, logger: pino({ level: 'silent' }) });
  d = createDomains(db, { faultsEnabled: false, paymentGateway: createRegistryPaymentGateway(registry) });
});
afterAll(async () => {
  await gateway?.close();
  await db?.$disconnect();
});

function saga(sagaId: string, status: SagaStatus, steps: string[], extra: { result?: unknown; reason?: string; running?: boolean; skipped?: string[] } = {}): SagaSeen {
  const compensated = status === 'COMPENSATED' || status === 'REJECTED' || status === 'FAILED';
  const stepStates: StepState[] = steps.map((name) => ({
    name,
    status: 'COMPLETED',
    attempts: 1,
    compensation: extra.skipped?.includes(name) ? 'SKIPPED' : compensated ? 'COMPENSATED' : 'REGISTERED',
    compensationAttempts: compensated ? 1 : 0,
  }));
  const state: SagaState = {
    sagaId,
    type: sagaId.split('-')[0]!,
    status,
    input: {},
    startedAt: new Date().toISOString(),
    ...(extra.result !== undefined && { result: extra.result }),
    ...(compensated && { reason: extra.reason ?? 'STEP_FAILED' }),
    keys: {},
    steps: stepStates,
    awaiting: [],
    attention: [],
    actions: [],
  };
  return { sagaId, workflowStatus: extra.running ? 'RUNNING' : 'COMPLETED', state };
}

/**
 * A consistent world of four sagas: a car in (COMPLETED), an order sold (COMPLETED), an order
 * rolled back after its payment was authorized (COMPENSATED), a reservation paid and waiting
 * for its car (COMPLETED, workflow running).
 */
async function makeWorld() {
  const tag = uid();
  const lot = await d.parking.createLot({ name: `Checker ${tag}`, capacity: 4 });
  const product = await d.catalog.createProduct({ sku: `CHK-${tag}`, name: 'Checked', price: 120 });
  await d.inventory.setStock(product.id, 10);
  const userId = `checker-${tag}`;
  const [plate, driverPlate] = [uniquePlate(), uniquePlate()];
  await d.reservations.registerVehicle({ plate: driverPlate, ownerName: 'Driver', ownerUserId: userId });
  const scope: Scope = emptyScope();
  scope.lotIds.add(lot.id);
  scope.userIds.add(userId);
  scope.stockPutIn.set(product.id, 10);
  const sagas = new Map<string, SagaSeen>();
  const track = (seen: SagaSeen) => {
    sagas.set(seen.sagaId, seen);
    scope.sagaIds.add(seen.sagaId);
  };

  const entry = `entry-${tag}-1`;
  const allocation = await d.parking.allocateSpace({ key: `${entry}/allocateSpace`, lotId: lot.id, plate });
  const record = await d.plates.createEntryRecord({ key: `${entry}/createEntryRecord`, plate, lotId: lot.id, spaceId: allocation.spaceId });
  const entryResult = { plate, lotId: lot.id, spaceId: allocation.spaceId, spaceNumber: allocation.spaceNumber, stayId: allocation.stayId, entryRecordId: record.id };
  track(saga(entry, 'COMPLETED', ['verifyPlate', 'findReservation', 'allocateSpace', 'createEntryRecord'], { result: entryResult }));
  scope.answers.set(entry, [{ status: 201, body: { sagaId: entry, status: 'COMPLETED', ...entryResult } }]);

  const sold = `order-${tag}-1`;
  const order = await d.orders.createOrder({ key: `${sold}/createOrder`, userId, items: [{ productId: product.id, quantity: 2 }] });
  await d.inventory.reserveStock({ key: `${sold}/reserveStock`, orderId: order.id, lines: [{ productId: product.id, quantity: 2 }] });
  await d.payments.authorize({ key: `${sold}/authorizePayment`, purpose: 'order', reference: order.id, amount: order.total });
  await d.payments.capture({ key: `${sold}/authorizePayment` });
  await d.inventory.commitStock(`${sold}/reserveStock`);
  await d.orders.confirmOrder(order.id);
  const orderResult = { orderId: order.id, status: 'CONFIRMED', total: order.total, lines: [{ productId: product.id, quantity: 2, unitPrice: 120 }] };
  track(saga(sold, 'COMPLETED', ['createOrder', 'reserveStock', 'authorizePayment', 'capturePayment', 'confirmOrder'], { result: orderResult }));

  const undone = `order-${tag}-2`;
  const order2 = await d.orders.createOrder({ key: `${undone}/createOrder`, userId, items: [{ productId: product.id, quantity: 3 }] });
  await d.inventory.reserveStock({ key: `${undone}/reserveStock`, orderId: order2.id, lines: [{ productId: product.id, quantity: 3 }] });
  await d.payments.authorize({ key: `${undone}/authorizePayment`, purpose: 'order', reference: order2.id, amount: order2.total });
  const rollBack = {
    stock: () => d.inventory.releaseStock(`${undone}/reserveStock`),
    payment: () => d.payments.voidPayment({ key: `${undone}/authorizePayment` }),
    order: () => d.orders.undoCreateOrder(`${undone}/createOrder`, 'STEP_FAILED'),
  };
  track(saga(undone, 'COMPENSATED', ['createOrder', 'reserveStock', 'authorizePayment']));

  const booking = `reservation-${tag}-1`;
  const now = Date.now();
  const reservation = await d.reservations.createReservation({
    key: `${booking}/createReservation`,
    userId,
    lotId: lot.id,
    plate: driverPlate,
    amount: 500,
    startsAt: new Date(now - 60_000).toISOString(),
    endsAt: new Date(now + 3_600_000).toISOString(),
  });
  const hold = await d.parking.holdSpace({ key: `${booking}/holdSpace`, lotId: lot.id, plate: driverPlate });
  await d.payments.authorize({ key: `${booking}/authorizePayment`, purpose: 'reservation', reference: reservation.id, amount: 500 });
  await d.payments.capture({ key: `${booking}/authorizePayment` });
  await d.reservations.setReservationStatus(reservation.id, 'COMPLETED', { spaceId: hold.spaceId, holdKey: hold.holdKey });
  const bookingResult = { reservationId: reservation.id, lotId: lot.id, plate: driverPlate, spaceId: hold.spaceId, spaceNumber: hold.spaceNumber, amount: 500, status: 'COMPLETED' };
  track(saga(booking, 'COMPLETED', ['checkPlate', 'createReservation', 'holdSpace', 'authorizePayment', 'capturePayment', 'completeReservation'], { result: bookingResult, running: true }));

  const world = {
    tag,
    lot,
    product,
    userId,
    scope,
    sagas,
    entry,
    sold,
    order,
    undone,
    order2,
    rollBack,
    booking,
    reservation,
    hold,
    track,
    /** The reservation's end time passes: EXPIRED, its space back to the lot, its saga closed. Then every saga has ended. */
    async expire() {
      await d.reservations.setReservationStatus(reservation.id, 'EXPIRED', { reason: 'NO_SHOW' });
      await d.parking.releaseHold(hold.holdKey);
      track(saga(booking, 'COMPLETED', ['checkPlate', 'createReservation', 'holdSpace', 'authorizePayment', 'capturePayment', 'completeReservation', 'expireReservation'], { result: { ...bookingResult, status: 'EXPIRED' } }));
    },
    /** The checker's verdict; `requireFinal: false` while the reservation waits for its car. */
    check: async (options: { failedAllowed?: number; requireFinal?: boolean } = {}) =>
      checkRecords({ db, scope, sagas, gateway: await readGatewayBooks(gateway.url) }, { requireFinal: true, ...options }),
  };
  return world;
}

/** The consistent world with its rollback done, everything ended. */
async function endedWorld() {
  const w = await makeWorld();
  await w.rollBack.stock();
  await w.rollBack.payment();
  await w.rollBack.order();
  await w.expire();
  return w;
}

describe('the reliability invariants', () => {
  it('pass on a consistent world, waiting and ended', async () => {
    const w = await makeWorld();
    await w.rollBack.stock();
    await w.rollBack.payment();
    await w.rollBack.order();
    expect(await w.check({ requireFinal: false })).toEqual([]);
    await w.expire();
    expect(await w.check()).toEqual([]);
  });

  it('count effects per saga: a step retried under another key made a second stay and charged twice', async () => {
    const w = await endedWorld();
    // The entry's step key grew an attempt number, and its retry claimed a second space for the car.
    const space = await db.space.findFirstOrThrow({ where: { lotId: w.lot.id, status: 'FREE' } });
    const plate = uniquePlate(); // (a lot's spaces name each plate once: the second stay has to be under another)
    await db.space.update({ where: { id: space.id }, data: { status: 'OCCUPIED', plate, holderKey: `${w.entry}/allocateSpace#2` } });
    await db.stay.create({ data: { key: `${w.entry}/allocateSpace#2`, lotId: w.lot.id, spaceId: space.id, plate } });
    // The order's payment was authorized again under another key: a second charge at the gateway.
    await d.payments.authorize({ key: `${w.sold}/authorizePayment#2`, purpose: 'order', reference: w.order.id, amount: w.order.total });
    await d.payments.capture({ key: `${w.sold}/authorizePayment#2` });
    const violations = await w.check();
    expect(violations).toContainEqual(expect.stringMatching(`^entry ${w.entry} opened 2 stays`));
    expect(violations).toContainEqual(expect.stringMatching(`was opened under ${w.entry}/allocateSpace#2, no entry saga's step`));
    expect(violations).toContainEqual(expect.stringMatching(`^the gateway did authorize 2 times for ${w.sold}/createOrder`));
    expect(violations).toContainEqual(expect.stringMatching(`^the gateway did capture 2 times for ${w.sold}/createOrder`));
    expect(violations).toContainEqual(expect.stringMatching(`^saga ${w.sold} made 2 payments`));
  });

  it('check FAILED sagas like any rolled-back one: a compensation that did not run leaves stock taken and an authorization', async () => {
    const w = await makeWorld();
    await w.rollBack.order(); // but neither the stock nor the payment is given back
    await w.expire();
    w.track(saga(w.undone, 'FAILED', ['createOrder', 'reserveStock', 'authorizePayment'], { reason: 'STEP_FAILED' }));
    const violations = await w.check();
    expect(violations).toContainEqual(expect.stringMatching(`^1 sagas ended FAILED, the scenario allows 0: ${w.undone}`));
    expect(violations).toContainEqual(`FAILED order ${w.undone} left 3 of ${w.product.id} TAKEN`);
    expect(violations).toContainEqual(`FAILED order ${w.undone} left its stock reservation RESERVED`);
    expect(violations).toContainEqual(`product ${w.product.id}: 3 still reserved after every saga ended`);
    expect(violations).toContainEqual(`FAILED saga ${w.undone} left a AUTHORIZED payment of ${w.order2.total}`);
    expect(violations).toContainEqual(expect.stringMatching(`^the gateway still holds an authorization of ${w.order2.total} for ${w.undone}/createOrder`));
    // A compensation an operator skipped is the one effect a FAILED saga may leave, when the scenario allows it.
    w.track(saga(w.undone, 'FAILED', ['createOrder', 'reserveStock', 'authorizePayment'], { skipped: ['reserveStock', 'authorizePayment'] }));
    expect(await w.check({ failedAllowed: 1 })).toEqual([]);
  });

  it('see an authorization the gateway holds behind a PENDING row or a void tombstone', async () => {
    const w = await endedWorld();
    // A rolled-back order's undo ran before its authorization was ever made, leaving a VOIDED
    // tombstone; an authorize attempt that ignored the tombstone then reached the gateway.
    const late = `order-${w.tag}-3`;
    const order3 = await d.orders.createOrder({ key: `${late}/createOrder`, userId: w.userId, items: [{ productId: w.product.id, quantity: 1 }] });
    await d.orders.undoCreateOrder(`${late}/createOrder`, 'STEP_FAILED');
    await d.payments.voidPayment({ key: `${late}/authorizePayment` });
    w.track(saga(late, 'COMPENSATED', ['createOrder', 'reserveStock', 'authorizePayment']));
    expect(await w.check()).toEqual([]);
    const res = await fetch(`${gateway.url}/v1/payments/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idempotencyKey: gatewayKey('authorize', `${late}/authorizePayment`), amount: order3.total, currency: 'TRY', purpose: 'order', reference: order3.id }),
    });
    expect(res.status).toBe(201);
    const violations = await w.check();
    expect(violations).toContainEqual(expect.stringMatching(`^the gateway holds AUTHORIZED pay_\\S+ of ${order3.total} for ${late}/createOrder; our books show \\[\\["${late}/authorizePayment","VOIDED",null\\]\\]`));
    expect(violations).toContainEqual(expect.stringMatching(`^the gateway still holds an authorization of ${order3.total} for ${late}/createOrder`));

    // The sold order's row never heard its authorization's answer (PENDING), though the gateway made it.
    await db.payment.update({ where: { key: `${w.sold}/authorizePayment` }, data: { status: 'PENDING', gatewayPaymentId: null } });
    expect(await w.check()).toContainEqual(expect.stringMatching(`^the gateway holds CAPTURED pay_\\S+ of ${w.order.total} for ${w.sold}/createOrder; our books show \\[\\["${w.sold}/authorizePayment","PENDING",null\\]\\]`));
  });

  it('catch a COMPLETED reservation that lost its held space', async () => {
    const w = await makeWorld();
    await w.rollBack.stock();
    await w.rollBack.payment();
    await w.rollBack.order();
    await d.parking.releaseHold(w.hold.holdKey); // the hold is gone while the reservation is still paid and waiting
    const violations = await w.check({ requireFinal: false });
    expect(violations).toContainEqual(expect.stringMatching(`^COMPLETED reservation ${w.booking}/createReservation lost its held space ${w.hold.spaceId} \\(now FREE for null`));
  });

  it('hold the outbox against the status changes of each order', async () => {
    const w = await endedWorld();
    await db.notificationOutbox.delete({ where: { eventKey: `order:${w.order.id}:CONFIRMED` } });
    await db.notificationOutbox.create({ data: { eventKey: `order:${w.order.id}:CANCELLED`, type: 'order.cancelled', userId: w.userId, payload: JSON.stringify({ orderId: w.order.id, status: 'CANCELLED', total: w.order.total, previousStatus: 'PENDING' }) } });
    const violations = await w.check();
    expect(violations).toContainEqual(`order ${w.sold}/createOrder (CONFIRMED) has events ["CANCELLED","PENDING"], its status changes make ["CONFIRMED","PENDING"]`);
  });

  it('hold what the clients were told against how their sagas ended', async () => {
    const w = await endedWorld();
    const entryAnswer = w.scope.answers.get(w.entry)![0]!;
    w.scope.answers.set(w.entry, [{ status: 201, body: { ...entryAnswer.body, stayId: 'another-stay' } }]);
    w.scope.answers.set(w.undone, [{ status: 201, body: { sagaId: w.undone, status: 'COMPLETED', orderId: w.order2.id } }]);
    w.scope.answers.set(w.sold, [{ status: 409, body: { sagaId: w.sold, orderId: w.order.id, status: 'CANCELLED', sagaStatus: 'COMPENSATED', reason: 'STEP_FAILED' } }]);
    const violations = await w.check();
    expect(violations).toContainEqual(expect.stringMatching(`^${w.entry} was answered 201 .* \\(differs in stayId\\)$`));
    expect(violations).toContainEqual(expect.stringMatching(`^${w.undone} was answered 201 .*, but it ended COMPENSATED \\(STEP_FAILED\\)$`));
    expect(violations).toContainEqual(expect.stringMatching(`^${w.sold} was answered 409 .*, but it ended COMPLETED`));
  });

  it('count spaces against stays, and sagas against what clients asked for', async () => {
    const w = await endedWorld();
    const space = await db.space.findFirstOrThrow({ where: { lotId: w.lot.id, status: 'FREE' } });
    await db.space.update({ where: { id: space.id }, data: { status: 'OCCUPIED', plate: 'GHOST', holderKey: `entry-${w.tag}-9/allocateSpace` } });
    const violations = await w.check();
    expect(violations).toContainEqual(`lot ${w.lot.id}: 2 spaces OCCUPIED but 1 stays ACTIVE`);
    expect(violations).toContainEqual(`lot ${w.lot.id}: space ${space.number} is OCCUPIED by entry-${w.tag}-9/allocateSpace, which has no active stay`);
    expect(violations).toContainEqual(`saga entry-${w.tag}-9 left records, but no client asked for it`);
  });
});
