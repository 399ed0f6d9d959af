import { describe, expect, it } from 'vitest';
import { useStack, createLot, uniquePlate, waitForSaga } from './support/stack';

const stack = useStack();

type Case = [method: 'GET' | 'POST' | 'DELETE', url: string, payload: unknown, field: string];

const badInput: Case[] = [
  ['POST', '/lots', {}, 'name'],
  ['POST', '/lots', { name: 'A' }, 'capacity'],
  ['POST', '/lots', { name: 'A', capacity: 0 }, 'capacity'],
  ['POST', '/lots', { name: 'A', capacity: 'ten' }, 'capacity'],
  ['POST', '/lots', { name: 'A', capacity: 2.5 }, 'capacity'],
  ['POST', '/lots', { name: '', capacity: 3 }, 'name'],
  ['POST', '/lots', { name: 'A', capacity: 3, gateTimeoutSeconds: -1 }, 'gateTimeoutSeconds'],
  ['POST', '/lots', { name: 'A', capacity: 3, requireGateConfirmation: 'yes' }, 'requireGateConfirmation'],
  ['POST', '/plates/blocklist', { plate: '34ABC123' }, 'reason'],
  ['POST', '/plates/blocklist', { reason: 'x' }, 'plate'],
  ['POST', '/plates/blocklist', { plate: 'not a plate', reason: 'x' }, 'plate'],
  ['POST', '/vehicle-entries', { plate: '34ABC123' }, 'lotId'],
  ['POST', '/vehicle-entries', { lotId: 'x' }, 'plate'],
  ['POST', '/vehicle-entries', { lotId: 'x', plate: 34 }, 'plate'],
  ['POST', '/vehicle-entries', { lotId: 'x', plate: '34ABC123', requestId: 'has spaces' }, 'requestId'],
  ['POST', '/vehicle-exits', { lotId: 7, plate: '34ABC123' }, 'lotId'],
  ['POST', '/vehicle-exits', { lotId: 'x', plate: 'x'.repeat(21) }, 'plate'],
  ['GET', '/sagas?type=Nope', undefined, 'type'],
  ['GET', '/sagas?status=DONE', undefined, 'status'],
  ['GET', '/sagas?limit=0', undefined, 'limit'],
  ['GET', "/sagas?plate=34'OR'1", undefined, 'plate'],
  ['GET', '/sagas/has%20space', undefined, 'id'],
  ['POST', '/sagas/entry-x/signals/launch', {}, 'name'],
  ['POST', '/sagas/entry-x/signals/compensate', { reason: 42 }, 'reason'],
  ['POST', '/admin/faults', { point: 'nope' }, 'point'],
];

describe('bad input', () => {
  it.each(badInput)('%s %s %j → 400 naming %s', async (method, url, payload, field) => {
    const res = await stack.app.inject({ method, url, ...(payload !== undefined && { payload: payload as object }) });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it('answers malformed JSON with 400 and changes nothing', async () => {
    const before = await stack.db.lot.count();
    const res = await stack.app.inject({
      method: 'POST',
      url: '/lots',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "A", "capacity": ',
    });
    expect(res.statusCode).toBe(400);
    expect(await stack.db.lot.count()).toBe(before);
  });

  it('answers a body over the limit with 413', async () => {
    const res = await stack.app.inject({ method: 'POST', url: '/lots', payload: { name: 'x'.repeat(70_000), capacity: 1 } });
    expect(res.statusCode).toBe(413);
  });
});

describe('lookups', () => {
  it('GET /lots/:id gives the counts, or 404', async () => {
    const lot = await createLot(stack, { capacity: 3 });
    const res = await stack.app.inject({ method: 'GET', url: `/lots/${lot.id}` });
    expect(res.json()).toMatchObject({ id: lot.id, capacity: 3, free: 3, occupied: 0 });
    expect((await stack.app.inject({ method: 'GET', url: '/lots/unknown' })).statusCode).toBe(404);
  });

  it('GET /sagas/:id and its signals answer 404 for an unknown saga', async () => {
    expect((await stack.app.inject({ method: 'GET', url: '/sagas/entry-unknown' })).statusCode).toBe(404);
    const signal = await stack.app.inject({ method: 'POST', url: '/sagas/entry-unknown/signals/compensate', payload: { reason: 'test' } });
    expect(signal.statusCode).toBe(404);
  });

  it('GET /health reports Temporal and the database UP', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'UP', checks: { temporal: { status: 'UP' }, database: { status: 'UP' } } });
  });
});

describe('GET /sagas (Temporal visibility)', () => {
  it('lists sagas by type, status and business keys', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const entry = (await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate } })).json();
    const rejected = (await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate } })).json();
    expect(rejected.status).toBe('REJECTED');
    await waitForSaga(stack, rejected.sagaId, (s) => s.status === 'REJECTED');

    // Visibility is eventually consistent: poll until both show up with their final status.
    const list = async (query: string) =>
      (await stack.app.inject({ method: 'GET', url: `/sagas?${query}` })).json().sagas as Array<{ sagaId: string; status: string; type: string; keys: Record<string, string> }>;
    let byLot: Awaited<ReturnType<typeof list>> = [];
    for (let i = 0; i < 100; i++) {
      byLot = await list(`lotId=${lot.id}`);
      if (byLot.length === 2 && byLot.every((s) => s.status !== 'RUNNING')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(byLot.map((s) => s.sagaId).sort()).toEqual([entry.sagaId, rejected.sagaId].sort());
    expect(byLot.every((s) => s.keys.Plate === plate && s.keys.LotId === lot.id && s.type === 'VehicleEntry')).toBe(true);

    const rejectedOnly = await list(`lotId=${lot.id}&status=REJECTED&type=VehicleEntry`);
    expect(rejectedOnly.map((s) => s.sagaId)).toEqual([rejected.sagaId]);
    const byPlate = await list(`plate=${plate.toLowerCase()}&status=COMPLETED`);
    expect(byPlate.map((s) => s.sagaId)).toEqual([entry.sagaId]);
    expect(await list(`lotId=${lot.id}&type=VehicleExit`)).toEqual([]);
  });
});
