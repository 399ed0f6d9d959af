import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../support/processes';
import { describeVerdict, finish } from './support/finish';
import { Load, fetchHttp, type Http, type HttpAnswer, type SagaRequest } from './support/load';
import { World } from './support/world';

/**
 * The API process dies (SIGKILL) in the middle of a burst of requests, and a new one comes
 * up. Clients whose request was cut off send it again with the same requestId. Sagas started
 * before the kill finish; every retry reaches the same saga and gets the same answer.
 */
let world: World;
beforeAll(async () => {
  world = await World.start({ name: 'api-kill' });
  await world.startApi({ SAGA_WAIT_MS: '4000' });
});
afterAll(async () => world?.close());

/** A reservation's answer may move on after it was given: COMPLETED, then USED or EXPIRED. */
function comparable(request: SagaRequest, answer: HttpAnswer) {
  if (request.kind !== 'reservation' || answer.status !== 201) return answer;
  const { status, ...rest } = answer.body;
  return { status: answer.status, body: { ...rest, status: ['COMPLETED', 'USED', 'EXPIRED'].includes(String(status)) ? 'PAID' : status } };
}

describe('API killed during a burst', () => {
  it('sagas started before the SIGKILL finish; a retry with the same requestId gets the same saga and answer', { timeout: 300_000 }, async () => {
    const startedAt = Date.now();
    let inFlight = 0;
    const overHttp = fetchHttp(() => world.api!.url);
    const counting: Http = async (req) => {
      inFlight++;
      try {
        return await overHttp(req);
      } finally {
        inFlight--;
      }
    };
    const load = new Load(world, counting, { lots: 2, lotCapacity: 20, stockPerProduct: 200, reservationSeconds: 10 });
    await load.setup();
    // Slow sagas keep requests waiting in the API for their answers.
    await world.domains.faults.arm('plates.createEntryRecord', { delayMs: 1500 });
    await world.domains.faults.arm('orders.confirmOrder', { delayMs: 1500 });

    const burst = load.run({ concurrency: 6, operations: 36 });
    await waitUntil('requests in flight in the API', () => inFlight >= 4 && load.requests.length >= 8, 60_000);
    await world.killApi();
    await world.startApi({ SAGA_WAIT_MS: '4000' });
    await burst;

    const cut = load.requests.filter((r) => r.errors.length > 0);
    expect(cut.length).toBeGreaterThan(0); // the kill did cut requests off
    expect(load.abandoned).toEqual([]);
    expect(load.badAnswers).toEqual([]);

    const verdict = await finish(world, load, { failedAllowed: 0 });
    console.info(describeVerdict('API SIGKILL', verdict, startedAt));
    expect(verdict.violations).toEqual([]);

    // Every client retries once more, now that every saga has ended: same saga, same answer as
    // the last one it got (or, for one that only heard "still running", as a third retry).
    for (const request of load.requests) {
      const again = await overHttp({ method: 'POST', url: request.url, body: request.body, headers: request.headers });
      expect(again.body.sagaId, JSON.stringify(again.body)).toBe(request.sagaId);
      const last = request.answers.at(-1)!;
      const reference = last.status === 202 ? await overHttp({ method: 'POST', url: request.url, body: request.body, headers: request.headers }) : last;
      expect(comparable(request, again), `${request.sagaId} (cut off: ${request.errors.length > 0})`).toEqual(comparable(request, reference));
    }
  });
});
