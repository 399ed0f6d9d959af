import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePlate } from '../../simulators/anpr';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { postJson, setFaults, stats } from './helpers';

describe('ANPR simulator', () => {
  let a: RunningSimulator;
  let b: RunningSimulator;
  beforeAll(async () => {
    a = await startSimulator('anpr', { port: 0, name: 'vendor-a', unreadablePlates: ['xx 000'] });
    b = await startSimulator('anpr', { port: 0, name: 'vendor-b' });
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('answers a deterministic vehicle for a plate, the same on every instance, with its vendor name', async () => {
    const fromA = await postJson(`${a.url}/v1/plates/verify`, { plate: 'ab-123-cd' });
    const fromB = await postJson(`${b.url}/v1/plates/verify`, { plate: 'AB-123-CD' });
    expect(fromA.status).toBe(200);
    expect(fromA.body).toMatchObject({ plate: 'AB-123-CD', vendor: 'vendor-a' });
    expect({ ...fromB.body, vendor: 'vendor-a' }).toEqual(fromA.body);
    expect(fromA.body.confidence).toBeGreaterThanOrEqual(0.9);
    expect(fromA.body.confidence).toBeLessThan(0.99);
    expect(fromA.body.vehicle).toEqual(describePlate('AB-123-CD').vehicle);
  });

  it('spreads plates over the catalogue', () => {
    const makes = new Set(Array.from({ length: 200 }, (_, i) => describePlate(`PLATE${i}`).vehicle.make));
    expect(makes.size).toBeGreaterThan(4);
  });

  it('does not judge plate format, but says UNREADABLE for configured plates', async () => {
    expect((await postJson(`${a.url}/v1/plates/verify`, { plate: '!!weird??' })).status).toBe(200);
    expect(await postJson(`${a.url}/v1/plates/verify`, { plate: 'XX 000' })).toMatchObject({ status: 422, body: { error: 'UNREADABLE' } });
    expect((await postJson(`${a.url}/v1/plates/verify`, {})).status).toBe(400);
  });

  it('goes down and comes back on command, counting the calls that arrive', async () => {
    await fetch(`${b.url}/admin/reset`, { method: 'POST' });
    expect(await fetch(`${b.url}/health`).then((r) => r.json())).toEqual({ status: 'UP', vendor: 'vendor-b' });
    expect(await setFaults(b.url, { down: true })).toEqual({ failRate: 0, latencyMs: 0, down: true });
    expect((await fetch(`${b.url}/health`)).status).toBe(503);
    expect(await postJson(`${b.url}/v1/plates/verify`, { plate: 'A1' })).toMatchObject({ status: 503, body: { error: 'DOWN' } });
    expect(await setFaults(b.url, { down: false, latencyMs: 5 })).toEqual({ failRate: 0, latencyMs: 5, down: false });
    expect((await postJson(`${b.url}/v1/plates/verify`, { plate: 'A1' })).status).toBe(200);
    expect(await stats(b.url)).toMatchObject({ calls: 2, verified: 1 });
    const bad = await postJson(`${b.url}/admin/faults`, { failRate: 1.5 });
    expect(bad.status).toBe(400);
    expect((await postJson(`${b.url}/admin/faults`, { unknown: true })).status).toBe(400);
  });

  it('fails the configured share of calls (deterministic random)', async () => {
    const values = [0.1, 0.9, 0.3, 0.7];
    let i = 0;
    const sim = await startSimulator('anpr', { port: 0, name: 'flaky', random: () => values[i++ % values.length]! });
    try {
      await setFaults(sim.url, { failRate: 0.5 });
      const statuses = [];
      for (let n = 0; n < 4; n++) statuses.push((await postJson(`${sim.url}/v1/plates/verify`, { plate: `P${n}` })).status);
      expect(statuses).toEqual([503, 200, 503, 200]);
    } finally {
      await sim.close();
    }
  });
});
