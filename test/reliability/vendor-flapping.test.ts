import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { breakerTransitions, flapVendors, waitForBreaker, type ChaosLog } from './support/chaos';
import { readGatewayBooks } from './checks/context';
import { waitForSagas } from './invariants';
import { describeVerdict, finish } from './support/finish';
import { Load, injectHttp } from './support/load';
import { World } from './support/world';

/**
 * The external services flap: the simulators' fault switches (down, failing calls, slow
 * calls, answers lost after the call was carried out) are toggled on a timer while a mixed
 * load runs. In the middle, the primaries of both vendors fail outright until their breakers
 * open, then recover until they close. Fallbacks (the backup vendor, the cache) answer
 * meanwhile, and the invariants hold.
 * Then the payment gateway carries out every call and loses every answer: each authorization
 * is made at the gateway while our books never hear of it, and the orders roll back.
 */
let world: World;
beforeAll(async () => {
  world = await World.start({ name: 'flapping', sagaWaitMs: 3000 });
});
afterAll(async () => world?.close());

describe('external services flapping', () => {
  it('breakers open and close, fallbacks answer, invariants hold', { timeout: 300_000 }, async () => {
    const startedAt = Date.now();
    const chaos: ChaosLog = [];
    const load = new Load(world, injectHttp(world), { lots: 3, lotCapacity: 15, stockPerProduct: 60, reservationSeconds: 12 });
    await load.setup();
    const run = load.run({ concurrency: 4, durationMs: 10 * 60_000 });

    // Flapping, at random.
    let flapping = flapVendors(world, chaos);
    await new Promise((r) => setTimeout(r, 12_000));
    flapping.stop();

    // The primaries fail every call: their breakers open, the backups answer.
    world.healVendors();
    const before = breakerTransitions(world).length;
    for (const name of ['anpr-1', 'anpr-2', 'payment-1', 'payment-2'] as const) world.setVendorFaults(name, { failRate: 1 });
    chaos.push('primaries failing every call');
    const anprOpen = await waitForBreaker(world, 'anpr', 'OPEN', before);
    const paymentOpen = await waitForBreaker(world, 'payment', 'OPEN', before);
    // They recover: a trial call through each half-open breaker closes it.
    world.healVendors();
    chaos.push('primaries healed');
    await waitForBreaker(world, 'anpr', 'CLOSED', anprOpen);
    await waitForBreaker(world, 'payment', 'CLOSED', paymentOpen);

    // Flapping again for a while, then the load stops.
    flapping = flapVendors(world, chaos);
    await new Promise((r) => setTimeout(r, 8_000));
    flapping.stop();
    load.stop();
    await run;

    const verdict = await finish(world, load, { failedAllowed: 0 });
    const vias = new Set(
      [...verdict.sagas.values()].flatMap((s) => s.state?.steps.filter((step) => step.status === 'COMPLETED' && step.via).map((step) => step.via!.split(':')[0]) ?? []),
    );
    console.info(
      describeVerdict('vendors flapping', verdict, startedAt),
      `; ${chaos.length} faults; breaker transitions ${breakerTransitions(world).length}; answered via ${[...vias].join(', ')}`,
    );
    expect(load.abandoned).toEqual([]);
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
    // Fallbacks answered: some step was answered by the backup vendor.
    expect(vias).toContain('alternative');
  });

  it('the gateway loses every answer: the orders roll back, and nothing stays authorized or charged', { timeout: 300_000 }, async () => {
    const startedAt = Date.now();
    const load = new Load(world, injectHttp(world), { lots: 1, products: 3, stockPerProduct: 60 });
    await load.setup();
    for (const name of ['payment-1', 'payment-2', 'payment-backup-1'] as const) world.setVendorFaults(name, { loseAnswerRate: 1 });
    await Promise.all(Array.from({ length: 6 }, () => load.order()));
    // The authorizations run out of attempts and the orders roll back; their voids hear no
    // answer either, so they wait for an operator (the end of the scenario plays one, healed).
    const seen = await waitForSagas(world.temporal, load.scope.sagaIds, 240_000);
    const books = await readGatewayBooks(world.gatewayUrl);

    const verdict = await finish(world, load, { failedAllowed: 0 });
    console.info(describeVerdict('gateway losing answers', verdict, startedAt), `; settled as ${JSON.stringify([...seen.values()].map((s) => s.state?.status))}`);
    expect(load.badAnswers).toEqual([]);
    expect(verdict.violations).toEqual([]);
    // The gateway did authorize while no answer came back, and every order rolled back.
    const references = new Set((await world.db.order.findMany({ where: { userId: { in: [...load.scope.userIds] } } })).map((o) => o.id));
    expect(books.effects.filter((e) => e.operation === 'authorize' && references.has(e.reference)).length).toBeGreaterThan(0);
    for (const id of load.scope.sagaIds) expect(verdict.sagas.get(id)?.state?.status, id).toBe('COMPENSATED');
  });
});
