import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useOwnWorkerStack } from './support/own-worker';
import { createLot, lotCounts, uniquePlate, waitForSaga } from './support/stack';

// Its own worker, so that the anomaly counter read from its metrics is this file's alone.
const own = useOwnWorkerStack('one-place');
const { stack } = own;

const post = (url: string, payload: object) => stack.app.inject({ method: 'POST', url, payload });

/** The worker's saga_anomalies counter for entries of `kind` (0 when not exported yet). */
async function anomalies(kind: string): Promise<number> {
  const text = await (await fetch(own.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith('saga_anomalies{') && l.includes(`kind="${kind}"`) && l.includes('saga_type="VehicleEntry"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('one car in one place', () => {
  it('a car seen entering another lot leaves the first: its stay closes as EXIT_NOT_SEEN, its space is freed, operators see it', async () => {
    const first = await createLot(stack, { name: 'First', capacity: 2 });
    const second = await createLot(stack, { name: 'Second', capacity: 2 });
    const plate = uniquePlate();
    expect((await post('/vehicle-entries', { lotId: first.id, plate })).statusCode).toBe(201);
    expect(await lotCounts(stack, first.id)).toMatchObject({ free: 1, occupied: 1 });

    const res = await post('/vehicle-entries', { lotId: second.id, plate });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'COMPLETED', lotId: second.id });
    expect(await lotCounts(stack, first.id)).toMatchObject({ free: 2, occupied: 0 });
    expect(await lotCounts(stack, second.id)).toMatchObject({ free: 1, occupied: 1 });
    const stays = await stack.db.stay.findMany({ where: { plate }, orderBy: { enteredAt: 'asc' } });
    expect(stays).toMatchObject([
      { lotId: first.id, status: 'RELEASED', endReason: 'EXIT_NOT_SEEN' },
      { lotId: second.id, status: 'ACTIVE', endReason: null },
    ]);

    // Where operators look: the saga's audit trail and the worker's metrics.
    const state = await waitForSaga(stack, res.json().sagaId, (s) => s.status === 'COMPLETED');
    expect(state.actions).toEqual([expect.objectContaining({ action: 'EXIT_NOT_SEEN', by: 'saga', accepted: true, reason: expect.stringContaining(first.id) })]);
    let counted = 0;
    for (let i = 0; i < 100 && counted < 1; i++) {
      counted = await anomalies('EXIT_NOT_SEEN');
      if (counted < 1) await new Promise((r) => setTimeout(r, 200));
    }
    expect(counted).toBe(1);

    // The car is no longer inside the first lot: an exit read there finds nothing to release.
    const exit = await post('/vehicle-exits', { lotId: first.id, plate });
    expect(exit.statusCode).toBe(409);
    expect(exit.json()).toMatchObject({ status: 'REJECTED', reason: 'NOT_INSIDE' });
  });

  it('entering the same lot again is still refused as ALREADY_INSIDE, and closes nothing', async () => {
    const lot = await createLot(stack, { capacity: 2 });
    const plate = uniquePlate();
    expect((await post('/vehicle-entries', { lotId: lot.id, plate })).statusCode).toBe(201);
    const again = await post('/vehicle-entries', { lotId: lot.id, plate });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ status: 'REJECTED', reason: 'ALREADY_INSIDE' });
    expect(await stack.db.stay.findMany({ where: { plate } })).toMatchObject([{ lotId: lot.id, status: 'ACTIVE', endReason: null }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 1, occupied: 1 });
  });
});
