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
 * SIGKILL and restarted, the database locked (SQLite), the vendors flapping, domain
 * operations failing or slow. Then everything is healed, and the invariants must hold.
 * Everything here is this world's own: its Temporal server, database, API, worker, vendors.
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
 * compensation fails too, or the exit's release, the saga waits for an operator.
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
      const kind = kinds[i] ?? kinds[randomInt(kinds.length)]!;
      await FAULTS[kind]!(chaos);
    }
    await sleep(3000);
    load.stop();
    await run;

    const verdict = await finish(world, load, { timeoutMs: 240_000 });
    console.info(describeVerdict(`soak ${SOAK_SECONDS} s`, verdict, startedAt), `; chaos: ${chaos.filter((c) => !/^(anpr|payment)/.test(c)).join(' | ')}`);
    expect(load.abandoned.map((r) => `${r.sagaId}: ${r.errors.at(-1)}`)).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
  });
});
