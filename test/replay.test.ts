import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { TEMPORAL_BIN } from '../scripts/temporal-dev-server';
import type { SagaState } from '../workflows/contracts';
import { armFault, useStack, createLot, disarmFault, uniquePlate, waitForSaga, type TestStack } from './support/stack';

/**
 * Determinism guard: workflow histories recorded from earlier code (test/fixtures/histories)
 * and from this run must replay on the current workflow bundle, the very file workers load.
 * RECORD_HISTORIES=1 adds this run's histories whose shape (the sequence of event types) no
 * fixture of the same scenario has yet; existing ones are never rewritten (they are the older
 * code's histories that new code must still replay). Each generation of the workflows' code
 * records under its own suffix: `<scenario>.json` from before the patch `local-database-steps`,
 * `<scenario>.local-steps.json` from after it (where its shape differs: the entry and exit sagas),
 * `<scenario>.exit-frees-space-last.json` from after that patch (the exit saga's new last step),
 * `<scenario>.cancellation-policy.json` from after `reservation-cancellation-policy` (a reservation's
 * payment is undone by refundReservation, which keeps a late cancellation's fee),
 * `<scenario>.reservation-changes.json` from after `reservation-changes` (a booked reservation
 * waits for its car, its end or a changeReservation update),
 * `<scenario>.order-local-steps.json` from after `order-local-steps` (the order saga's database steps
 * local, the search attributes its start set not upserted again),
 * `<scenario>.operator-reason-required.json` from after `operator-reason-required` (an operator
 * signal without a reason is refused by the saga itself),
 * `<scenario>.saga-attention-events.json` from after `saga-attention-events` (every saga asks it at its
 * start; one parked for an operator writes saga.needs_attention, and saga.resolved once settled),
 * `<scenario>.change-undo-attention.json` from after `reservation-change-undo-attention` (asked at the
 * reservation saga's start: a change's undo that runs out of retries waits in NEEDS_ATTENTION; recorded after both),
 * `<scenario>.reservation-local-steps.json` from after `reservation-local-steps` (the reservation saga's
 * database steps local, the search attributes its start set and unchanged keys not upserted again,
 * the kit's `saga-attention-events` taken as given), `<scenario>.fewer-markers.json` from after
 * `entry-fewer-markers`, `exit-fewer-markers` and `order-fewer-markers` (each asked first, taking
 * the earlier patches as given).
 */
const FIXTURES = 'test/fixtures/histories';
const GENERATION = '.fewer-markers';

/**
 * How each scenario ends, whichever code generation recorded it: the saga state its workflow
 * returned (status, reason, operator actions, and what marks its path). A replay only proves
 * the code still issues the same commands; this proves the history is the scenario it is named after.
 */
const OUTCOMES: Record<string, Partial<SagaState> & Record<string, unknown>> = {
  'entry-completed': { status: 'COMPLETED', actions: [], result: expect.objectContaining({ entryRecordId: expect.any(String) }) },
  'entry-rejected': { status: 'REJECTED', reason: 'ALREADY_INSIDE', actions: [] },
  'exit-completed': { status: 'COMPLETED', steps: expect.arrayContaining([expect.objectContaining({ name: 'createExitRecord', status: 'COMPLETED' })]) },
  'entry-gate-passed': { status: 'COMPLETED', actions: [expect.objectContaining({ action: 'gatePassed', accepted: true })] },
  'entry-compensated-by-operator': { status: 'COMPENSATED', reason: 'OPERATOR', actions: [expect.objectContaining({ action: 'compensate', accepted: true })] },
  'entry-compensation-retried': {
    status: 'COMPENSATED',
    reason: 'STEP_FAILED',
    actions: [expect.objectContaining({ action: 'retryCompensation', accepted: true })],
    steps: expect.arrayContaining([expect.objectContaining({ name: 'allocateSpace', compensation: 'COMPENSATED' })]),
  },
  'entry-compensation-skipped': {
    status: 'FAILED',
    reason: 'STEP_FAILED',
    actions: [expect.objectContaining({ action: 'skipCompensation', accepted: true })],
    steps: expect.arrayContaining([expect.objectContaining({ name: 'allocateSpace', compensation: 'SKIPPED' })]),
  },
  'entry-reasonless-signal-refused': {
    status: 'COMPENSATED',
    reason: 'STEP_FAILED',
    actions: [
      expect.objectContaining({ action: 'retryCompensation', accepted: false }),
      expect.objectContaining({ action: 'retryCompensation', accepted: true, reason: 'replay scenario' }),
    ],
  },
  'order-confirmed': { status: 'COMPLETED', result: expect.objectContaining({ status: 'CONFIRMED' }) },
  'order-payment-declined': { status: 'REJECTED', reason: 'PAYMENT_DECLINED', steps: expect.arrayContaining([expect.objectContaining({ name: 'reserveStock', compensation: 'COMPENSATED' })]) },
  'reservation-declined': { status: 'REJECTED', reason: 'PAYMENT_DECLINED', steps: expect.arrayContaining([expect.objectContaining({ name: 'holdSpace', compensation: 'COMPENSATED' })]) },
  'reservation-used': { status: 'COMPLETED', result: expect.objectContaining({ status: 'USED' }), actions: [expect.objectContaining({ action: 'vehicleArrived', accepted: true })] },
  'reservation-changed': {
    status: 'COMPLETED',
    result: expect.objectContaining({ status: 'USED', amount: 1000 }),
    actions: [expect.objectContaining({ action: 'changeReservation', accepted: true }), expect.objectContaining({ action: 'vehicleArrived', accepted: true })],
  },
  'entry-with-reservation': { status: 'COMPLETED', steps: expect.arrayContaining([expect.objectContaining({ name: 'occupyReservedSpace', status: 'COMPLETED' })]) },
};

/**
 * Scenarios whose saga parks for an operator: recorded from generation `.saga-attention-events` on
 * (and in this run), their histories write saga.needs_attention and saga.resolved through these activities.
 */
const ATTENTION_SCENARIOS = ['entry-compensation-retried', 'entry-compensation-skipped', 'entry-reasonless-signal-refused'];
const ATTENTION_ACTIVITIES = ['recordSagaNeedsAttention', 'recordSagaResolved'];

/** The activity types a history scheduled, in order. */
const activitiesOf = (history: History) =>
  (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((name): name is string => Boolean(name));

/** The scenario a fixture file records: its name up to the first dot (`entry-completed.local-steps.json`). */
const scenarioOf = (file: string) => file.split('.')[0]!;

type History = Awaited<ReturnType<ReturnType<TestStack['temporal']['workflow']['getHandle']>['fetchHistory']>>;

/** The saga state a history's workflow returned (its last event must be the completion). */
function outcomeOf(history: History): SagaState {
  const last = history.events?.at(-1);
  const data = last?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data;
  if (!data) throw new Error(`the history does not end with a completed workflow: last event type ${last?.eventType}`);
  return JSON.parse(Buffer.from(data).toString('utf8')) as SagaState;
}

/** Each history's outcome against its scenario's, as one list so that a failure names every scenario that differs. */
function expectOutcomes(histories: Array<{ scenario: string; history: History }>): void {
  const named = histories.map(({ scenario }) => scenario);
  expect(named.filter((s) => !(s in OUTCOMES)), 'scenarios without an expected outcome').toEqual([]);
  expect(histories.map(({ scenario, history }) => ({ scenario, ...outcomeOf(history) }))).toMatchObject(
    histories.map(({ scenario }) => ({ scenario, ...OUTCOMES[scenario] })),
  );
}

const stack = useStack({ waitMs: 300 });

async function replay(histories: Array<{ workflowId: string; history: unknown }>): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  const replayer = Worker.runReplayHistories({ workflowBundle: { codePath: inject('stack').workflowBundlePath } }, histories);
  for await (const result of replayer) results.push(result);
  return results;
}

/** Runs one saga of each shape (completed, rejected, rolled back, operator-driven) and returns their ids. */
async function runScenarios(): Promise<Record<string, string>> {
  const post = (url: string, payload: object) => stack.app.inject({ method: 'POST', url, payload });
  const lot = await createLot(stack, { tariffPerHour: 250 });
  const cheapLot = await createLot(stack, { tariffPerHour: 50 });
  const gateLot = await createLot(stack, { requireGateConfirmation: true, gateTimeoutSeconds: 600 });
  const plate = uniquePlate();
  const ids: Record<string, string> = {};

  ids['entry-completed'] = (await post('/vehicle-entries', { lotId: lot.id, plate })).json().sagaId;
  ids['entry-rejected'] = (await post('/vehicle-entries', { lotId: lot.id, plate })).json().sagaId;
  ids['exit-completed'] = (await post('/vehicle-exits', { lotId: lot.id, plate })).json().sagaId;

  const gated = (await post('/vehicle-entries', { lotId: gateLot.id, plate: uniquePlate() })).json().sagaId;
  await waitForSaga(stack, gated, (s) => s.awaiting.includes('gatePassed'));
  await post(`/sagas/${gated}/signals/gatePassed`, { reason: 'replay scenario' });
  ids['entry-gate-passed'] = gated;

  const compensated = (await post('/vehicle-entries', { lotId: gateLot.id, plate: uniquePlate() })).json().sagaId;
  await waitForSaga(stack, compensated, (s) => s.awaiting.includes('gatePassed'));
  await post(`/sagas/${compensated}/signals/compensate`, { reason: 'replay scenario' });
  ids['entry-compensated-by-operator'] = compensated;

  const stuckPlate = uniquePlate();
  const requestId = `replay-stuck-${stuckPlate}`;
  await armFault(stack, 'plates.createEntryRecord', requestId);
  await armFault(stack, 'parking.releaseAllocation', requestId);
  const stuck = (await post('/vehicle-entries', { lotId: lot.id, plate: stuckPlate, requestId })).json().sagaId;
  await waitForSaga(stack, stuck, (s) => s.status === 'NEEDS_ATTENTION');
  await disarmFault(stack, 'parking.releaseAllocation', requestId);
  await disarmFault(stack, 'plates.createEntryRecord', requestId);
  await post(`/sagas/${stuck}/signals/retryCompensation`, { reason: 'replay scenario' });
  ids['entry-compensation-retried'] = stuck;

  // The same, given up on instead (skipCompensation): the saga ends FAILED.
  const skippedPlate = uniquePlate();
  const skippedRequest = `replay-skipped-${skippedPlate}`;
  await armFault(stack, 'plates.createEntryRecord', skippedRequest);
  await armFault(stack, 'parking.releaseAllocation', skippedRequest);
  const skipped = (await post('/vehicle-entries', { lotId: lot.id, plate: skippedPlate, requestId: skippedRequest })).json().sagaId;
  await waitForSaga(stack, skipped, (s) => s.status === 'NEEDS_ATTENTION');
  await post(`/sagas/${skipped}/signals/skipCompensation`, { reason: 'replay scenario' });
  await waitForSaga(stack, skipped, (s) => s.endedAt !== undefined);
  await disarmFault(stack, 'parking.releaseAllocation', skippedRequest);
  await disarmFault(stack, 'plates.createEntryRecord', skippedRequest);
  ids['entry-compensation-skipped'] = skipped;

  // The same, with a retryCompensation signal without a reason sent straight to the workflow first
  // (as `temporal workflow signal` does): refused on record (patch operator-reason-required).
  const reasonlessPlate = uniquePlate();
  const reasonlessRequest = `replay-reasonless-${reasonlessPlate}`;
  await armFault(stack, 'plates.createEntryRecord', reasonlessRequest);
  await armFault(stack, 'parking.releaseAllocation', reasonlessRequest);
  const reasonless = (await post('/vehicle-entries', { lotId: lot.id, plate: reasonlessPlate, requestId: reasonlessRequest })).json().sagaId;
  await waitForSaga(stack, reasonless, (s) => s.status === 'NEEDS_ATTENTION');
  await disarmFault(stack, 'parking.releaseAllocation', reasonlessRequest);
  await disarmFault(stack, 'plates.createEntryRecord', reasonlessRequest);
  await stack.temporal.workflow.getHandle(reasonless).signal('retryCompensation', {});
  await waitForSaga(stack, reasonless, (s) => s.actions.length === 1);
  await post(`/sagas/${reasonless}/signals/retryCompensation`, { reason: 'replay scenario' });
  ids['entry-reasonless-signal-refused'] = reasonless;

  // An order confirmed, and one rolled back (its compensations run in parallel).
  const user = { authorization: `Bearer ${stack.token('user', `replay-${stuckPlate}`)}` };
  const product = (await post('/products', { sku: `R-${stuckPlate}`, name: 'Replay', price: 6000 })).json().id;
  await stack.app.inject({ method: 'PUT', url: `/products/${product}/stock`, payload: { onHand: 3 } });
  const order = (items: object) => stack.app.inject({ method: 'POST', url: '/orders', headers: user, payload: { items } });
  ids['order-confirmed'] = (await order([{ productId: product, quantity: 1 }])).json().sagaId;
  ids['order-payment-declined'] = (await order([{ productId: product, quantity: 2 }])).json().sagaId;

  // A reservation booked and used by the car's entry, and one declined.
  const driverPlate = uniquePlate();
  await stack.app.inject({ method: 'POST', url: '/vehicles', headers: user, payload: { plate: driverPlate, ownerName: 'Replay' } });
  // 61 minutes: two started hours, priced by the lot (2 × 50 is declined, 2 × 250 is not).
  const period = { startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: new Date(Date.now() + 3_600_000).toISOString() };
  const reserve = (lotId: string) =>
    stack.app.inject({ method: 'POST', url: '/reservations', headers: user, payload: { lotId, plate: driverPlate, ...period } });
  ids['reservation-declined'] = (await reserve(cheapLot.id)).json().sagaId;
  // Its plate is free for the same period once that one is cancelled (one booking per plate at a time).
  await waitForSaga(stack, ids['reservation-declined']!, (s) => s.endedAt !== undefined);
  const booked = (await reserve(lot.id)).json();
  await waitForSaga(stack, booked.sagaId, (s) => s.status === 'COMPLETED');
  ids['entry-with-reservation'] = (await post('/vehicle-entries', { lotId: lot.id, plate: driverPlate })).json().sagaId;
  ids['reservation-used'] = booked.sagaId;

  // A reservation changed (a longer period: 4 started hours at 250, 500 more), then used.
  const changedPlate = uniquePlate();
  await stack.app.inject({ method: 'POST', url: '/vehicles', headers: user, payload: { plate: changedPlate, ownerName: 'Replay' } });
  const toChange = (await stack.app.inject({ method: 'POST', url: '/reservations', headers: user, payload: { lotId: lot.id, plate: changedPlate, ...period } })).json();
  const toChangeId = ((await waitForSaga(stack, toChange.sagaId, (s) => s.status === 'COMPLETED')).result as { reservationId: string }).reservationId;
  const longer = { startsAt: period.startsAt, endsAt: new Date(Date.parse(period.endsAt) + 2 * 3_600_000).toISOString() };
  const changed = await stack.app.inject({ method: 'PATCH', url: `/reservations/${toChangeId}`, headers: user, payload: longer });
  if (changed.statusCode !== 200) throw new Error(`the change answered ${changed.statusCode}: ${changed.body}`);
  await post('/vehicle-entries', { lotId: lot.id, plate: changedPlate });
  ids['reservation-changed'] = toChange.sagaId;

  for (const id of Object.values(ids)) {
    await waitForSaga(stack, id, (s) => s.endedAt !== undefined);
  }
  return ids;
}

describe('workflow determinism', () => {
  it('replays the recorded histories of earlier code on the current bundle', async () => {
    const files = (await readdir(FIXTURES)).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    const histories = await Promise.all(
      files.map(async (f) => ({
        workflowId: f,
        scenario: scenarioOf(f),
        history: historyFromJSON(JSON.parse(await readFile(join(FIXTURES, f), 'utf8'))) as History,
      })),
    );
    const results = await replay(histories);
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error}`)).toEqual([]);
    expect(results).toHaveLength(files.length);
    expectOutcomes(histories);
    const attentionFixtures = histories.filter((h) => h.workflowId.endsWith('.saga-attention-events.json') && ATTENTION_SCENARIOS.includes(h.scenario));
    expect(attentionFixtures.map((h) => h.scenario).sort()).toEqual([...ATTENTION_SCENARIOS].sort());
    for (const { history } of attentionFixtures) expect(activitiesOf(history).filter((a) => ATTENTION_ACTIVITIES.includes(a))).toEqual(ATTENTION_ACTIVITIES);
  });

  it("replays this run's sagas of every shape on the current bundle", async () => {
    const ids = await runScenarios();
    expect(Object.keys(ids).sort()).toEqual(Object.keys(OUTCOMES).sort());
    const histories = await Promise.all(
      Object.entries(ids).map(async ([name, workflowId]) => ({
        name,
        scenario: name,
        workflowId,
        history: await stack.temporal.workflow.getHandle(workflowId).fetchHistory(),
      })),
    );
    const results = await replay(histories);
    expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error}`)).toEqual([]);
    expect(results).toHaveLength(histories.length);
    expectOutcomes(histories);
    for (const { scenario, history } of histories.filter((h) => ATTENTION_SCENARIOS.includes(h.scenario))) {
      expect(activitiesOf(history).filter((a) => ATTENTION_ACTIVITIES.includes(a)), scenario).toEqual(ATTENTION_ACTIVITIES);
    }

    if (process.env.RECORD_HISTORIES === '1') {
      await mkdir(FIXTURES, { recursive: true });
      // The CLI's JSON export, the same format as the Web UI's "download history".
      const run = promisify(execFile);
      const existing = await readdir(FIXTURES);
      // The sequence of event types, each patch marker with its patch id: a new patch is a new shape.
      const shapeOf = (json: string) => (JSON.parse(json) as { events: HistoryEvent[] }).events.map((e) => `${e.eventType}${patchIdOf(e) ?? ''}`).join();
      for (const { name, workflowId } of histories) {
        const address = inject('stack').temporalAddress;
        const { stdout } = await run(resolve(TEMPORAL_BIN), ['workflow', 'show', '--workflow-id', workflowId, '-o', 'json', '--address', address]);
        const file = `${name}${GENERATION}.json`;
        const recorded = existing.filter((f) => f.startsWith(`${name}.`));
        if (recorded.includes(file)) continue;
        const shapes = await Promise.all(recorded.map(async (f) => shapeOf(await readFile(join(FIXTURES, f), 'utf8'))));
        if (shapes.includes(shapeOf(stdout))) continue;
        await writeFile(join(FIXTURES, file), stdout);
      }
    }
  });
});

type HistoryEvent = { eventType: string; markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: Array<{ data?: string }> }> } };

/** The patch id of a patch marker event (`core_patch`: its details carry {"id": ...} as JSON, base64 in the export). */
function patchIdOf(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  const data = marker?.markerName === 'core_patch' ? marker.details?.['patch-data']?.payloads?.[0]?.data : undefined;
  return data === undefined ? undefined : `:${(JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { id?: string }).id}`;
}
