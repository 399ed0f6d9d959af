import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setVendorFaults, useOwnWorkerStack } from './support/own-worker';
import { TEST_BREAKER } from './support/vendors';
import { armFault, createLot, disarmFault, uniquePlate, waitForSaga } from './support/stack';

const own = useOwnWorkerStack('metrics');
const { stack, worker } = own;
let workerText = '';
let apiText = '';

/** The value of a sample in Prometheus text, matched by name and labels (in any order). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrapeWorker(): Promise<string> {
  return (await fetch(own.metricsUrl)).text();
}

describe('metrics', () => {
  it("the worker exports saga, step, compensation and SDK metrics after sagas ran", async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const post = (payload: object) => stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload });
    expect((await post({ lotId: lot.id, plate })).statusCode).toBe(201);
    expect((await post({ lotId: lot.id, plate })).statusCode).toBe(409);
    const requestId = `metrics-${plate}`;
    await armFault(stack, 'plates.createEntryRecord', requestId);
    const failed = await post({ lotId: lot.id, plate: uniquePlate(), requestId });
    await disarmFault(stack, 'plates.createEntryRecord', requestId);
    await waitForSaga(stack, failed.json().sagaId, (s) => s.status === 'COMPENSATED');

    // The worker's Prometheus endpoint: saga metrics by type, outcome and step, resilience, and the SDK's own.
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await scrapeWorker();
      if ((sample(text, 'saga_outcomes', { saga_type: 'VehicleEntry', outcome: 'compensated' }) ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const entry = { saga_type: 'VehicleEntry' };
    expect(sample(text, 'saga_started', entry)).toBe(3);
    expect(sample(text, 'saga_outcomes', { ...entry, outcome: 'completed' })).toBe(1);
    expect(sample(text, 'saga_outcomes', { ...entry, outcome: 'rejected' })).toBe(1);
    expect(sample(text, 'saga_outcomes', { ...entry, outcome: 'compensated' })).toBe(1);
    expect(sample(text, 'saga_duration_count', { ...entry, outcome: 'completed' })).toBe(1);
    expect(sample(text, 'saga_step_duration_count', { ...entry, step: 'createEntryRecord', outcome: 'failed' })).toBe(1);
    expect(sample(text, 'saga_step_attempts_sum', { ...entry, step: 'createEntryRecord' })).toBe(1 + 4);
    expect(sample(text, 'saga_compensations', { ...entry, step: 'createEntryRecord', outcome: 'compensated' })).toBe(1);
    expect(sample(text, 'resilience_breaker_state', { service: 'anpr' })).toBe(0);
    expect(sample(text, 'resilience_instance_health', { service: 'anpr', instance: 'anpr-1' })).toBe(1);
    const anprChoices =
      (sample(text, 'resilience_balancer_choices', { service: 'anpr', instance: 'anpr-1' }) ?? 0) +
      (sample(text, 'resilience_balancer_choices', { service: 'anpr', instance: 'anpr-2' }) ?? 0);
    expect(anprChoices).toBe(3);
    expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
    expect(text).toMatch(/^temporal_workflow_task_schedule_to_start_latency_bucket\{/m);
    workerText = text;
  });

  it('the API exports requests by route and status, and their latency', async () => {
    await stack.app.inject({ method: 'GET', url: '/lots/no-such-lot' });
    await stack.app.inject({ method: 'GET', url: '/lots/no-such-lot' });
    const res = await stack.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: '' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(sample(res.body, 'http_requests_total', { method: 'GET', route: '/lots/:id', status: '404' })).toBe(2);
    expect(sample(res.body, 'http_request_duration_seconds_count', { method: 'GET', route: '/lots/:id' })).toBe(2);
    apiText = res.body;
  });

  it('counts operator actions, NEEDS_ATTENTION, fallbacks, cache answers and breaker transitions', async () => {
    const post = (payload: object) => stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload });
    // An operator action and a saga parked for an operator.
    const plate = uniquePlate();
    const requestId = `metrics-stuck-${plate}`;
    await armFault(stack, 'plates.createEntryRecord', requestId);
    await armFault(stack, 'parking.releaseAllocation', requestId);
    const lot = await createLot(stack, { capacity: 20 });
    const stuck = (await post({ lotId: lot.id, plate, requestId })).json();
    await waitForSaga(stack, stuck.sagaId, (s) => s.status === 'NEEDS_ATTENTION');
    await disarmFault(stack, 'parking.releaseAllocation', requestId);
    await disarmFault(stack, 'plates.createEntryRecord', requestId);
    await stack.app.inject({ method: 'POST', url: `/sagas/${stuck.sagaId}/signals/retryCompensation`, payload: { reason: 'fixed' } });
    await waitForSaga(stack, stuck.sagaId, (s) => s.status === 'COMPENSATED');

    // A plate seen while the vendors answer; then they fail: the breaker opens, the backup and the cache answer.
    const seen = uniquePlate();
    expect((await post({ lotId: lot.id, plate: seen })).statusCode).toBe(201);
    await stack.app.inject({ method: 'POST', url: '/vehicle-exits', payload: { lotId: lot.id, plate: seen } });
    for (const name of ['anpr-1', 'anpr-2']) await setVendorFaults(worker.vendors, name, { failRate: 1 });
    // Failing entries (answered by the backup) until the breaker has opened: how many that takes
    // depends on the calls already in its window, at most two windows' worth.
    let failing = 0;
    for (; failing < 2 * TEST_BREAKER.slidingWindowSize; failing++) {
      const opened = sample(await scrapeWorker(), 'resilience_breaker_transitions', { service: 'anpr', from: 'CLOSED', to: 'OPEN' }) ?? 0;
      if (opened >= 1) break;
      expect((await post({ lotId: lot.id, plate: uniquePlate() })).statusCode).toBe(201);
    }
    await setVendorFaults(worker.vendors, 'anpr-backup-1', { failRate: 1 });
    expect((await post({ lotId: lot.id, plate: seen })).statusCode).toBe(201);
    expect((await post({ lotId: lot.id, plate: uniquePlate() })).json()).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED' });
    for (const name of ['anpr-1', 'anpr-2', 'anpr-backup-1']) await setVendorFaults(worker.vendors, name, { failRate: 0 });

    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await scrapeWorker();
      if ((sample(text, 'resilience_cache_hits', { service: 'anpr' }) ?? 0) >= 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(sample(text, 'saga_needs_attention', { saga_type: 'VehicleEntry', kind: 'COMPENSATION' })).toBe(1);
    expect(sample(text, 'saga_operator_actions', { saga_type: 'VehicleEntry', action: 'retryCompensation', accepted: 'true' })).toBe(1);
    expect(sample(text, 'resilience_fallbacks', { service: 'anpr', kind: 'alternative' })).toBeGreaterThanOrEqual(failing);
    expect(sample(text, 'resilience_fallbacks', { service: 'anpr', kind: 'cache' })).toBe(1);
    expect(sample(text, 'resilience_cache_hits', { service: 'anpr' })).toBe(1);
    expect(sample(text, 'resilience_cache_misses', { service: 'anpr' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'resilience_breaker_transitions', { service: 'anpr', from: 'CLOSED', to: 'OPEN' })).toBeGreaterThanOrEqual(1);
    workerText = text;
  });

  it('every metric the Grafana dashboard queries is exported by the worker or the API', () => {
    const dashboard = readFileSync('ops/grafana/dashboards/saga-overview.json', 'utf8');
    const labels = new Set(['saga_type']);
    const queried = new Set(
      [...dashboard.matchAll(/\b((?:saga|resilience|http|temporal|process)_[a-z_]+)/g)]
        .map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''))
        .filter((name) => !labels.has(name)),
    );
    expect(queried.size).toBeGreaterThan(10);
    const exported = `${workerText}\n${apiText}`;
    const missing = [...queried].filter((name) => !new RegExp(`^${name}(_bucket|_sum|_count)?[{ ]`, 'm').test(exported));
    expect(missing).toEqual([]);
  });
});
