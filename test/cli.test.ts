import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { TEMPORAL_BIN } from '../scripts/temporal-dev-server';
import type { SagaState } from '../workflows/saga';
import { useStack, createLot, lotCounts, uniquePlate, waitForSaga } from './support/stack';

const run = promisify(execFile);
const stack = useStack({ waitMs: 300 });

/** Runs the real `temporal` CLI against the test server. */
async function temporal(...args: string[]): Promise<string> {
  const { stdout } = await run(resolve(TEMPORAL_BIN), [...args, '--address', inject('stack').temporalAddress]);
  return stdout;
}

async function entryWaitingAtGate() {
  const lot = await createLot(stack, { requireGateConfirmation: true, gateTimeoutSeconds: 600 });
  const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate: uniquePlate() } });
  expect(res.statusCode).toBe(202);
  const { sagaId } = res.json();
  await waitForSaga(stack, sagaId, (s) => s.awaiting.includes('gatePassed'));
  expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 1 });
  return { lot, sagaId };
}

describe('the temporal CLI', () => {
  it('compensates a saga by signal and reads its state by query', async () => {
    const { lot, sagaId } = await entryWaitingAtGate();
    await temporal('workflow', 'signal', '--workflow-id', sagaId, '--name', 'compensate', '--input', '{"reason":"driver left"}');
    await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');

    const output = await temporal('workflow', 'query', '--workflow-id', sagaId, '--type', 'state', '-o', 'json');
    const state = JSON.parse(output).queryResult[0] as SagaState;
    expect(state).toMatchObject({ sagaId, status: 'COMPENSATED', reason: 'OPERATOR', error: 'driver left' });
    expect(state.actions).toMatchObject([{ action: 'compensate', reason: 'driver left', accepted: true }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 0, free: 5 });
  });

  it('rolls a saga back when it is cancelled, and closes it as Canceled', async () => {
    const { lot, sagaId } = await entryWaitingAtGate();
    await temporal('workflow', 'cancel', '--workflow-id', sagaId);
    const state = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');
    expect(state.reason).toBe('CANCELLED');
    expect(state.actions).toMatchObject([{ action: 'cancel', accepted: true }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 0 });
    const described = JSON.parse(await temporal('workflow', 'describe', '--workflow-id', sagaId, '-o', 'json'));
    expect(described.workflowExecutionInfo.status).toBe('WORKFLOW_EXECUTION_STATUS_CANCELED');
  });
});
