/**
 * Workflow code for test/saga-kit.test.ts only: a saga of plain steps, each with an undo,
 * shaped by its input, so that the test drives every branch of the saga kit (workflows/saga)
 * directly. Its activities (test/support/kit-activities.ts) run in the test's own worker.
 */
import { proxyActivities } from '@temporalio/workflow';
import { Saga, type SagaState } from '../../workflows/saga';
import type { KitActivities } from './kit-activities';

export interface KitSagaInput {
  /** The steps, in order; each has an undo. */
  steps: string[];
  compensationOrder?: 'reverse' | 'parallel';
  /** Steps that park the saga in NEEDS_ATTENTION when they fail, instead of rolling back. */
  askOperator?: string[];
  /** After the steps, wait this long for a `proceed` signal that never comes (to cancel or compensate during a wait). */
  waitMs?: number;
}

// Two tries per step and per undo, back to back: the test decides which keys fail, not the clock.
const { runKitStep, undoKitStep } = proxyActivities<KitActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 2, initialInterval: '10 milliseconds', nonRetryableErrorTypes: ['BusinessRejection'] },
});

export async function kitSaga(input: KitSagaInput): Promise<SagaState<KitSagaInput, { done: string[] }>> {
  const saga = new Saga<KitSagaInput, { done: string[] }>({ type: 'KitTest', input, compensationOrder: input.compensationOrder });
  return saga.run(async () => {
    const done: string[] = [];
    for (const name of input.steps) {
      done.push(
        await saga.step(name, {
          run: (key) => runKitStep({ key }),
          compensate: (key, why) => undoKitStep({ key, reason: why.reason }),
          onExhausted: input.askOperator?.includes(name) ? 'askOperator' : 'compensate',
        }),
      );
    }
    if (input.waitMs !== undefined) {
      if (!(await saga.waitFor('proceed', () => false, input.waitMs))) saga.abort('WAIT_TIMEOUT', 'no proceed signal');
    }
    return { done };
  });
}
