import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SagaState } from '../../workflows/saga';
import { DEVICE_KEY } from '../support/stack';
import { waitUntil } from '../support/processes';
import { describeVerdict, finish } from '../reliability/support/finish';
import { Load } from '../reliability/support/load';
import type { ApiProcess } from '../reliability/support/world';
import { World } from '../reliability/support/world';
import { roundRobin, startApiReplicas, stopApiReplicas, temporalCli } from './support';

/**
 * The four sagas on the cluster, through two API processes taking turns (as behind a load
 * balancer): answers, the `state` query, listing by search attribute (SQL advanced visibility
 * on PostgreSQL), and an operator's signal from the temporal CLI over mutual TLS.
 */
let world: World;
let apis: ApiProcess[] = [];
beforeAll(async () => {
  world = await World.start({ name: 'cluster-main', sagaWaitMs: 5000 });
  apis = await startApiReplicas(world);
});
afterAll(async () => {
  await stopApiReplicas(apis);
  await world?.close();
});

describe('main paths on the cluster, two API replicas', () => {
  it('entries, exits, orders and reservations answered by both replicas; state, search and a CLI signal work', async () => {
    const startedAt = Date.now();
    const http = roundRobin(apis);
    const load = new Load(world, http, { lots: 1, lotCapacity: 10, products: 3, users: 2, reservationSeconds: 8 });
    await load.setup();
    await Promise.all([load.enter(), load.enter(), load.enter(), load.order(), load.order(), load.reserve()]);
    await load.leave();

    expect(http.served.every((n) => n > 0), `requests per replica: ${http.served}`).toBe(true);
    expect(load.badAnswers).toEqual([]);
    expect(load.abandoned).toEqual([]);
    const kinds = new Set(load.requests.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['entry', 'exit', 'order', 'reservation']);
    const entries = load.requests.filter((r) => r.kind === 'entry');
    for (const r of entries) expect(r.answers.at(-1)?.status, JSON.stringify(r.answers.at(-1))).toBe(201);
    expect(load.requests.find((r) => r.kind === 'exit')?.answers.at(-1)?.status).toBe(201);

    // The state query through the other replica agrees with each answer.
    // An API process knows its users (token versions): the admin must exist there.
    await world.ensureUser('admin', 'cluster-main-admin');
    const admin = { authorization: `Bearer ${world.token('admin', 'cluster-main-admin')}` };
    for (const [i, r] of load.requests.entries()) {
      const res = await fetch(`${apis[(i + 1) % 2]!.url}/sagas/${r.sagaId}`, { headers: admin });
      expect(res.status, r.sagaId).toBe(200);
      const state = (await res.json()) as SagaState;
      expect(state.sagaId).toBe(r.sagaId);
      if (r.answers.at(-1)?.status === 201) expect(state.status).toBe('COMPLETED');
    }

    // Listing by the sagas' search attributes (visibility lags the writes by a moment).
    const plate = entries[0]!.body.plate as string;
    await waitUntil(
      'the entry to be listed by plate',
      async () => {
        const res = await fetch(`${apis[0]!.url}/sagas?type=VehicleEntry&plate=${encodeURIComponent(plate)}`, { headers: admin });
        const body = (await res.json()) as { sagas: Array<{ sagaId: string; status: string }> };
        return body.sagas.some((s) => s.sagaId === entries[0]!.sagaId && s.status === 'COMPLETED');
      },
      30_000,
    );

    // A gated entry waits at the gate; an operator rolls it back from the CLI, over mutual TLS.
    const gated = await world.inject({ method: 'POST', url: '/lots', payload: { name: 'Gated', capacity: 5, requireGateConfirmation: true, gateTimeoutSeconds: 300 } });
    const gatedLot = gated.json().id as string;
    load.scope.lotIds.add(gatedLot);
    const requestId = `${load.tag}-gated`;
    const answer = await load.send('entry', '/vehicle-entries', `entry-${requestId}`, { lotId: gatedLot, plate: '35 KL 778', requestId }, { 'x-device-key': DEVICE_KEY });
    expect(answer?.status).toBe(202);
    const signal = temporalCli(['workflow', 'signal', '--workflow-id', `entry-${requestId}`, '--name', 'compensate', '--input', '{"reason":"driver turned back"}']);
    expect(signal.stderr).toBe('');
    expect(signal.status).toBe(0);
    await waitUntil(
      'the CLI-signalled saga to be compensated',
      () => {
        const query = temporalCli(['workflow', 'query', '--workflow-id', `entry-${requestId}`, '--type', 'state', '-o', 'json']);
        return query.status === 0 && /"status":\s*"COMPENSATED"/.test(query.stdout);
      },
      30_000,
    );

    const verdict = await finish(world, load, { failedAllowed: 0 });
    console.info(describeVerdict('cluster main paths', verdict, startedAt));
    expect(verdict.violations).toEqual([]);
    expect(verdict.sagas.get(`entry-${requestId}`)?.state?.reason).toBe('OPERATOR');
  });
});
