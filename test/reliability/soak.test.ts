import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flapVendors, type ChaosLog } from './support/chaos';
import { describeVerdict, finish } from './support/finish';
import { Load, fetchHttp } from './support/load';
import { World } from './support/world';

/**
 * A soak: a mixed load (cars in and out, orders, reservations) through an API process, while
 * faults of every kind come one after another at random for SOAK_SECONDS (120 by default; set
 * it higher for a longer soak): the worker, the API and the Temporal server killed with
 * SIGKILL and restarted, the database locked (SQLite), the vendors flapping (the payment
 * gateway losing answers to calls it carried out among them), domain operations failing or
 * slow, before their write or right after it, and the worker killed by a switch right after a
 * write, before it could report it. Then everything is healed, and the invariants must hold,
 * with no saga FAILED. Everything here is this world's own: its Temporal server, database,
 * API, worker, vendors.
 */
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 120);
const onSqlite = !process.env.TEST_DATABASE_URL;

let world: World;
beforeAll(async () => {
  world = await World.start({ name: 'soak', ownTemporal: true });
  await world.startApi();
});
afterAll(async () => world?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Domain fault switches: a few failures (retried away), a slow step, or a failure for as long
 * as the switch stays on (a few seconds): steps run out of retries and roll back, and when a
 * compensation fails too, or the exit's release, the saga waits for an operator. An `.after`
 * point fails the call once its write is committed: the retry, the rollback or the operator's
 * retry must find the effect there. (Not on the steps after a reservation was answered paid:
 * those are not meant to fail for seconds on end.)
 */
const DOMAIN_FAULTS: Array<{ point: string; times?: number; delayMs?: number }> = [
  { point: 'plates.createEntryRecord' },
  { point: 'parking.releaseAllocation' },
  { point: 'parking.releaseVehicle' },
  { point: 'payments.capture' },
  { point: 'inventory.releaseStock' },
  { point: 'plates.createEntryRecord', times: 3 },
  { point: 'parking.allocateSpace', times: 2 },
  { point: 'parking.releaseVehicle', times: 4 },
  { point: 'parking.releaseAllocation', times: 3 },
  { point: 'inventory.reserveStock', times: 3 },
  { point: 'inventory.releaseStock', times: 2 },
  { point: 'payments.capture', times: 3 },
  { point: 'payments.voidPayment', times: 2 },
  { point: 'orders.confirmOrder', delayMs: 2500 },
  { point: 'parking.holdSpace', delayMs: 2500 },
  { point: 'plates.createExitRecord', times: 4 },
  { point: 'payments.authorize.after', times: 3 },
  { point: 'payments.capture.after', times: 2 },
  { point: 'parking.allocateSpace.after', times: 3 },
  { point: 'plates.createEntryRecord.after' },
  { point: 'inventory.reserveStock.after' },
  { point: 'inventory.commitStock.after', times: 3 },
  { point: 'orders.confirmOrder.after', times: 2 },
  { point: 'orders.createOrder.after' },
  { point: 'parking.releaseVehicle.after', times: 3 },
  { point: 'parking.releaseVehicle.after' },
  { point: 'plates.createExitRecord.after' },
  { point: 'parking.holdSpace.after', times: 2 },
  { point: 'reservations.createReservation.after' },
  { point: 'payments.voidPayment.after', times: 2 },
  { point: 'inventory.releaseStock.after', times: 2 },
  { point: 'parking.releaseAllocation.after', times: 2 },
];

/** Where a kill switch may end the worker right after a write: steps the load passes every few seconds. */
const KILL_POINTS = [
  'payments.authorize.after',
  'payments.capture.after',
  'parking.allocateSpace.after',
  'plates.createEntryRecord.after',
  'inventory.reserveStock.after',
  'inventory.commitStock.after',
  'orders.createOrder.after',
  'parking.releaseVehicle.after',
  'plates.createExitRecord.after',
  'parking.holdSpace.after',
];

type Fault = (log: ChaosLog) => Promise<void>;

const FAULTS: Record<string, Fault> = {
  async workerKill(log) {
    await world.killWorker('SIGKILL');
    log.push('worker SIGKILL');
    await sleep(randomInt(2000));
    await world.startWorker();
  },
  async apiKill(log) {
    await world.killApi();
    log.push('API SIGKILL');
    await sleep(randomInt(2000));
    await world.startApi();
  },
  async temporalKill(log) {
    await world.killTemporal();
    log.push('Temporal SIGKILL');
    await sleep(1000 + randomInt(3000));
    await world.startTemporal();
  },
  async databaseLock(log) {
    if (!onSqlite) return FAULTS.vendorFlapping!(log);
    const lock = await world.lockDatabase();
    log.push('database locked');
    await sleep(2000 + randomInt(5000));
    await lock.release();
  },
  async vendorFlapping(log) {
    const flapping = flapVendors(world, log);
    await sleep(5000 + randomInt(5000));
    flapping.stop();
    world.healVendors();
  },
  async killAfterWrite(log) {
    const point = KILL_POINTS[randomInt(KILL_POINTS.length)]!;
    await world.domains.faults.arm(point, { kill: true, times: 1 });
    // The load passes there within seconds; wait for the worker to die of it (a generous bound, not a pace).
    const died = await world.waitForWorkerDeath(120_000);
    await world.domains.faults.disarm(point);
    log.push(died ? `worker killed by the switch at ${point}` : `the switch at ${point} was not reached`);
    await world.ensureWorker();
  },
  async domainFaults(log) {
    for (let i = 0; i < 3; i++) {
      const fault = DOMAIN_FAULTS[randomInt(DOMAIN_FAULTS.length)]!;
      await world.domains.faults.arm(fault.point, { ...(fault.times && { times: fault.times }), ...(fault.delayMs && { delayMs: fault.delayMs }) });
      log.push(`fault ${JSON.stringify(fault)}`);
    }
    await sleep(4000 + randomInt(4000));
    await world.db.faultSwitch.deleteMany({});
  },
};

describe('soak', () => {
  it(`a mixed load under random faults of every kind for ${SOAK_SECONDS} s: the invariants hold`, { timeout: SOAK_SECONDS * 1000 + 360_000 }, async () => {
    const startedAt = Date.now();
    const chaos: ChaosLog = [];
    const load = new Load(world, fetchHttp(() => world.api!.url), {
      lots: 4,
      lotCapacity: 15,
      products: 5,
      stockPerProduct: 80,
      users: 5,
      reservationSeconds: 15,
      retryForMs: 180_000,
    });
    await load.setup();
    const run = load.run({ concurrency: 4 });

    // Every kind of fault once, in a random order, then more at random until the time is up.
    const kinds = Object.keys(FAULTS).sort(() => Math.random() - 0.5);
    const until = Date.now() + SOAK_SECONDS * 1000;
    for (let i = 0; i < kinds.length || Date.now() < until; i++) {
      await sleep(2000 + randomInt(3000)); // calm between faults
      await world.ensureWorker(); // a kill switch may have fired after its fault was over
      const kind = kinds[i] ?? kinds[randomInt(kinds.length)]!;
      await FAULTS[kind]!(chaos);
    }
    await sleep(3000);
    load.stop();
    await run;

    const verdict = await finish(world, load, { timeoutMs: 240_000, failedAllowed: 0 });
    console.info(describeVerdict(`soak ${SOAK_SECONDS} s`, verdict, startedAt), `; chaos: ${chaos.filter((c) => !/^(anpr|payment)/.test(c)).join(' | ')}`);
    expect(load.abandoned.map((r) => `${r.sagaId}: ${r.errors.at(-1)}`)).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
    // The worker did die between a write and its report (every kind of fault ran at least once).
    expect(world.faultKills().length).toBeGreaterThanOrEqual(1);
  });
});
