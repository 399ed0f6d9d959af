import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SagaState } from '../workflows/saga';
import { createKitActivities, createKitScript } from './support/kit-activities';
import type { KitSagaInput } from './support/kit-workflow';
import { startInProcessWorker, type InProcessWorker } from './support/in-process-worker';

/**
 * The saga kit (workflows/saga) driven branch by branch with a minimal saga of plain steps
 * (test/support/kit-workflow.ts), on the real dev server, through a worker of this file's
 * own whose activities fail or reject as each test says (test/support/kit-activities.ts).
 */

const script = createKitScript();
let worker: InProcessWorker;
let client: Client;
beforeAll(async () => {
  worker = await startInProcessWorker('saga-kit', new URL('./support/kit-workflow.ts', import.meta.url), createKitActivities(script));
  client = worker.client;
});
afterAll(async () => worker?.stop());

type KitState = SagaState<KitSagaInput, { done: string[] }>;

async function start(input: KitSagaInput): Promise<WorkflowHandle> {
  return client.workflow.start('kitSaga', { taskQueue: worker.taskQueue, workflowId: `kit-${randomUUID()}`, args: [input] });
}

/** Queries the saga's state until `done` holds. */
async function waitForState(handle: WorkflowHandle, done: (s: KitState) => boolean): Promise<KitState> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await handle.query<KitState>('state');
    if (done(state)) return state;
    if (Date.now() > deadline) throw new Error(`saga ${handle.workflowId} did not reach the expected state; last: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ended = (s: KitState) => s.endedAt !== undefined;
const key = (handle: { workflowId: string }, step: string) => `${handle.workflowId}/${step}`;
/** The undo calls of one saga, as `<what> <step>` (e.g. "undo-start a"), in the order they happened. */
const undosOf = (handle: WorkflowHandle) =>
  script.log
    .filter((line) => line.startsWith('undo') && line.includes(`${handle.workflowId}/`))
    .map((line) => line.replace(`${handle.workflowId}/`, '').split(' ').slice(0, 2).join(' '));

/** The saga's attention events as the kit wrote them through its activities, without the saga id. */
const attentionEventsOf = (handle: WorkflowHandle) =>
  script.log
    .filter((line) => (line.startsWith('needs_attention ') || line.startsWith('resolved ')) && line.includes(` ${handle.workflowId} `))
    .map((line) => line.replace(` ${handle.workflowId} `, ' '));

describe('saga kit: going forward', () => {
  it('a step rejected by a business rule rolls back what completed, without retrying it', async () => {
    const handle = await startWith({ steps: ['a', 'b', 'c'] }, (h) => script.rejectedSteps.add(key(h, 'b')));
    const state = await waitForState(handle, ended);
    expect(state).toMatchObject({ status: 'REJECTED', reason: 'KIT_REJECTED' });
    expect(state.steps).toMatchObject([
      { name: 'a', status: 'COMPLETED', compensation: 'COMPENSATED' },
      { name: 'b', status: 'REJECTED', attempts: 1, compensation: 'NONE' },
    ]);
    expect(undosOf(handle)).toEqual(['undo-start a', 'undo-end a']);
  });

  it('an operator retries a step that ran out of retries (retryStep), and the saga completes', async () => {
    const input: KitSagaInput = { steps: ['a', 'b', 'c'], askOperator: ['b'] };
    const handle = await startWith(input, (h) => script.failingSteps.add(key(h, 'b')));
    const waiting = await waitForState(handle, (s) => s.status === 'NEEDS_ATTENTION');
    expect(waiting.attention).toMatchObject([{ kind: 'STEP', step: 'b', error: `${key(handle, 'b')} failed` }]);
    expect(waiting.awaiting).toEqual(expect.arrayContaining(['retryStep', 'compensate']));
    expect(waiting.steps.at(-1)).toMatchObject({ name: 'b', status: 'WAITING_OPERATOR', attempts: 2 });

    // Not what the saga waits for: on record, refused, changes nothing.
    await handle.signal('retryCompensation', { reason: 'wrong button', by: 'op-1' });
    await waitForState(handle, (s) => s.actions.length === 1);
    script.failingSteps.delete(key(handle, 'b'));
    await handle.signal('retryStep', { reason: 'fixed', by: 'op-1' });

    const state = await waitForState(handle, ended);
    expect(state).toMatchObject({ status: 'COMPLETED', result: { done: ['a', 'b', 'c'] }, attention: [] });
    expect(state.steps.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ['a', 'COMPLETED', 1],
      ['b', 'COMPLETED', 3],
      ['c', 'COMPLETED', 1],
    ]);
    expect(state.actions).toMatchObject([
      { action: 'retryCompensation', accepted: false, by: 'op-1' },
      { action: 'retryStep', accepted: true, reason: 'fixed', by: 'op-1' },
    ]);
    expect(undosOf(handle)).toEqual([]);
    expect(attentionEventsOf(handle)).toEqual(['needs_attention 1 STEP b retryStep,compensate', 'resolved 1 b retryStep COMPLETED RUNNING']);
  });

  it('an operator rolls back instead (compensate) while a step waits for a decision', async () => {
    const handle = await startWith({ steps: ['a', 'b'], askOperator: ['b'] }, (h) => script.failingSteps.add(key(h, 'b')));
    await waitForState(handle, (s) => s.status === 'NEEDS_ATTENTION');
    await handle.signal('compensate', { reason: 'give up' });
    const state = await waitForState(handle, ended);
    expect(state).toMatchObject({ status: 'COMPENSATED', reason: 'OPERATOR', error: 'give up' });
    expect(state.steps).toMatchObject([
      { name: 'a', compensation: 'COMPENSATED' },
      { name: 'b', status: 'FAILED', compensation: 'NONE' },
    ]);
    expect(script.log).toContain(`undo-start ${key(handle, 'a')} OPERATOR`);
    expect(attentionEventsOf(handle)).toEqual(['needs_attention 1 STEP b retryStep,compensate', 'resolved 1 b compensate ROLLED_BACK COMPENSATING']);
  });
});

describe('saga kit: compensation', () => {
  it('reverse order (the default): each undo ends before the one of the step before it starts', async () => {
    const handle = await startWith({ steps: ['a', 'b', 'c', 'd'] }, (h) => script.failingSteps.add(key(h, 'd')));
    const state = await waitForState(handle, ended);
    expect(state).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED', error: `d failed: ${key(handle, 'd')} failed` });
    expect(state.steps.map((s) => [s.name, s.status, s.compensation])).toEqual([
      ['a', 'COMPLETED', 'COMPENSATED'],
      ['b', 'COMPLETED', 'COMPENSATED'],
      ['c', 'COMPLETED', 'COMPENSATED'],
      ['d', 'FAILED', 'NONE'],
    ]);
    expect(undosOf(handle)).toEqual(['undo-start c', 'undo-end c', 'undo-start b', 'undo-end b', 'undo-start a', 'undo-end a']);
  });

  it('parallel order: every undo starts before any of them ends', async () => {
    const input: KitSagaInput = { steps: ['a', 'b', 'c', 'd'], compensationOrder: 'parallel' };
    const handle = await startWith(input, (h) => {
      script.failingSteps.add(key(h, 'd'));
      // Each undo waits until all three have started: undos run one by one would never finish.
      script.undoBarrier.set(h.workflowId, 3);
    });
    const state = await waitForState(handle, ended);
    expect(state.status).toBe('COMPENSATED');
    const undos = undosOf(handle);
    expect(undos.slice(0, 3).sort()).toEqual(['undo-start a', 'undo-start b', 'undo-start c']);
    expect(undos.slice(3).sort()).toEqual(['undo-end a', 'undo-end b', 'undo-end c']);
    expect(state.steps.map((s) => s.compensationAttempts)).toEqual([1, 1, 1, 0]);
  });

  it('a cancel from outside rolls the saga back, then the workflow closes as Canceled', async () => {
    const handle = await start({ steps: ['a', 'b'], waitMs: 3_600_000 });
    await waitForState(handle, (s) => s.awaiting.includes('proceed'));
    await handle.cancel();
    const failure = await handle.result().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    expect((failure as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');

    const state = await handle.query<KitState>('state');
    expect(state).toMatchObject({ status: 'COMPENSATED', reason: 'CANCELLED', actions: [{ action: 'cancel', accepted: true }] });
    expect(undosOf(handle)).toEqual(['undo-start b', 'undo-end b', 'undo-start a', 'undo-end a']);
  });

  it('an undo that runs out of retries waits in NEEDS_ATTENTION; retryCompensation finishes the rollback', async () => {
    const handle = await startWith({ steps: ['a', 'b', 'c'] }, (h) => {
      script.failingSteps.add(key(h, 'c'));
      script.failingUndos.add(key(h, 'a'));
    });
    const waiting = await waitForState(handle, (s) => s.status === 'NEEDS_ATTENTION');
    expect(waiting.attention).toMatchObject([{ kind: 'COMPENSATION', step: 'a', error: `undo of ${key(handle, 'a')} failed` }]);
    expect(waiting.awaiting).toEqual(['retryCompensation', 'skipCompensation']);
    expect(waiting.steps.map((s) => s.compensation)).toEqual(['FAILED', 'COMPENSATED', 'NONE']);

    await handle.signal('retryStep', { reason: 'not a step' });
    await waitForState(handle, (s) => s.actions.length === 1);
    script.failingUndos.delete(key(handle, 'a'));
    await handle.signal('retryCompensation', { reason: 'fixed' });

    const state = await waitForState(handle, ended);
    expect(state).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED', attention: [] });
    expect(state.steps[0]).toMatchObject({ name: 'a', compensation: 'COMPENSATED', compensationAttempts: 3 });
    expect(state.steps[0]!.compensationError).toBeUndefined();
    expect(state.actions).toMatchObject([
      { action: 'retryStep', accepted: false },
      { action: 'retryCompensation', accepted: true },
    ]);
    expect(attentionEventsOf(handle)).toEqual([
      'needs_attention 1 COMPENSATION a retryCompensation,skipCompensation',
      'resolved 1 a retryCompensation COMPENSATED COMPENSATING',
    ]);
  });

  it('a retried undo that fails again asks again within the same episode: one needs_attention, one resolved once it worked', async () => {
    const handle = await startWith({ steps: ['a', 'b'] }, (h) => {
      script.failingSteps.add(key(h, 'b'));
      script.failingUndos.add(key(h, 'a'));
    });
    await waitForState(handle, (s) => s.status === 'NEEDS_ATTENTION');
    await handle.signal('retryCompensation', { reason: 'try again', by: 'op-4' });
    // Its two attempts fail again: the saga waits once more.
    const again = await waitForState(handle, (s) => s.status === 'NEEDS_ATTENTION' && s.steps[0]!.compensationAttempts === 4);
    expect(again.attention).toMatchObject([{ kind: 'COMPENSATION', step: 'a' }]);
    script.failingUndos.delete(key(handle, 'a'));
    await handle.signal('retryCompensation', { reason: 'fixed now', by: 'op-5' });
    expect(await waitForState(handle, ended)).toMatchObject({ status: 'COMPENSATED' });
    expect(attentionEventsOf(handle)).toEqual([
      'needs_attention 1 COMPENSATION a retryCompensation,skipCompensation',
      'resolved 1 a retryCompensation COMPENSATED COMPENSATING',
    ]);
  });

  it('parallel undos that both run out of retries are two episodes; one retryCompensation resolves both', async () => {
    const handle = await startWith({ steps: ['a', 'b', 'c'], compensationOrder: 'parallel' }, (h) => {
      script.failingSteps.add(key(h, 'c'));
      script.failingUndos.add(key(h, 'a'));
      script.failingUndos.add(key(h, 'b'));
    });
    await waitForState(handle, (s) => s.attention.length === 2);
    script.failingUndos.delete(key(handle, 'a'));
    script.failingUndos.delete(key(handle, 'b'));
    await handle.signal('retryCompensation', { reason: 'both fixed', by: 'op-6' });
    expect(await waitForState(handle, ended)).toMatchObject({ status: 'COMPENSATED' });
    const events = attentionEventsOf(handle);
    expect(events.filter((e) => e.startsWith('needs_attention')).map((e) => e.split(' ').slice(2, 4).join(' ')).sort()).toEqual([
      'COMPENSATION a',
      'COMPENSATION b',
    ]);
    expect(new Set(events.filter((e) => e.startsWith('needs_attention')).map((e) => e.split(' ')[1]))).toEqual(new Set(['1', '2']));
    expect(events.filter((e) => e.startsWith('resolved')).map((e) => e.split(' ').slice(2, 5).join(' ')).sort()).toEqual([
      'a retryCompensation COMPENSATED',
      'b retryCompensation COMPENSATED',
    ]);
  });

  it('skipCompensation needs a reason; with one, the undo is skipped and the saga ends FAILED', async () => {
    const handle = await startWith({ steps: ['a', 'b'] }, (h) => {
      script.failingSteps.add(key(h, 'b'));
      script.failingUndos.add(key(h, 'a'));
    });
    await waitForState(handle, (s) => s.status === 'NEEDS_ATTENTION');
    await handle.signal('skipCompensation', {});
    const refused = await waitForState(handle, (s) => s.actions.length === 1);
    expect(refused).toMatchObject({ status: 'NEEDS_ATTENTION', actions: [{ action: 'skipCompensation', accepted: false }] });

    await handle.signal('skipCompensation', { reason: 'undone by hand', by: 'op-2' });
    const state = await waitForState(handle, ended);
    expect(state).toMatchObject({ status: 'FAILED', reason: 'STEP_FAILED', attention: [] });
    expect(state.steps[0]).toMatchObject({ name: 'a', compensation: 'SKIPPED', compensationAttempts: 2 });
    expect(state.actions.at(-1)).toMatchObject({ action: 'skipCompensation', accepted: true, reason: 'undone by hand', by: 'op-2' });
    expect(attentionEventsOf(handle)).toEqual([
      'needs_attention 1 COMPENSATION a retryCompensation,skipCompensation',
      'resolved 1 a skipCompensation SKIPPED COMPENSATING',
    ]);
  });

  it('an operator signal sent straight to the workflow (as the temporal CLI does) without a reason is refused, on record; the saga keeps waiting', async () => {
    const handle = await startWith({ steps: ['a', 'b'] }, (h) => {
      script.failingSteps.add(key(h, 'b'));
      script.failingUndos.add(key(h, 'a'));
    });
    const waiting = await waitForState(handle, (s) => s.status === 'NEEDS_ATTENTION');
    script.failingUndos.delete(key(handle, 'a')); // a decision taken now would finish the rollback
    // What `temporal workflow signal --name NAME` sends with no --input, an empty one, a blank or a non-text reason.
    await handle.signal('retryCompensation');
    await handle.signal('retryCompensation', {});
    await handle.signal('skipCompensation', { reason: '   ', by: 'op-3' });
    await handle.signal('retryCompensation', { reason: 5 } as never);
    const refused = await waitForState(handle, (s) => s.actions.length === 4);
    expect(refused).toMatchObject({ status: 'NEEDS_ATTENTION', awaiting: waiting.awaiting, attention: waiting.attention });
    expect(refused.actions).toMatchObject([
      { action: 'retryCompensation', accepted: false },
      { action: 'retryCompensation', accepted: false },
      { action: 'skipCompensation', accepted: false, reason: '   ', by: 'op-3' },
      { action: 'retryCompensation', accepted: false },
    ]);
    expect(refused.steps[0]).toMatchObject({ name: 'a', compensation: 'FAILED', compensationAttempts: waiting.steps[0]!.compensationAttempts });

    await handle.signal('retryCompensation', { reason: 'undo fixed', by: 'op-3' });
    const state = await waitForState(handle, ended);
    expect(state).toMatchObject({ status: 'COMPENSATED', attention: [] });
    expect(state.actions.at(-1)).toMatchObject({ action: 'retryCompensation', accepted: true, reason: 'undo fixed' });
  });

  it('a compensate signal without a reason is refused while a step waits; with one, the saga rolls back', async () => {
    const handle = await startWith({ steps: ['a', 'b'], askOperator: ['b'] }, (h) => script.failingSteps.add(key(h, 'b')));
    await waitForState(handle, (s) => s.status === 'NEEDS_ATTENTION');
    await handle.signal('compensate');
    await handle.signal('retryStep', { reason: '' });
    const refused = await waitForState(handle, (s) => s.actions.length === 2);
    expect(refused).toMatchObject({ status: 'NEEDS_ATTENTION', actions: [{ action: 'compensate', accepted: false }, { action: 'retryStep', accepted: false }] });
    expect(undosOf(handle)).toEqual([]);
    await handle.signal('compensate', { reason: 'give up' });
    expect(await waitForState(handle, ended)).toMatchObject({ status: 'COMPENSATED', reason: 'OPERATOR', error: 'give up' });
  });
});

/** Starts the saga with a workflow id known in advance, so that `prepare` scripts its keys before any step runs. */
async function startWith(input: KitSagaInput, prepare: (handle: { workflowId: string }) => void): Promise<WorkflowHandle> {
  const workflowId = `kit-${randomUUID()}`;
  prepare({ workflowId });
  return client.workflow.start('kitSaga', { taskQueue: worker.taskQueue, workflowId, args: [input] });
}
