import { BusinessRejection } from '../domains/errors';
import type { StepFences } from '../domains/fences';

/**
 * Keeps a late step attempt from undoing a rollback.
 *
 * An attempt of a step can outlive its timeout: a local step whose workflow task was lost
 * with its worker or its server, an activity whose worker stalled. Temporal has moved on
 * (retried, or rolled the saga back), but the attempt still runs, and writes. The step's
 * idempotency key makes such a write land on the same row as its twin, yet after the
 * compensation it would bring the effect back: a space held, a record ACTIVE, for a saga
 * that ended rolled back.
 *
 * So a compensation raises the step's fence before it undoes anything, and a forward write
 * looks at the fence before and after it writes. Every statement commits on its own, so one
 * of the two always sees the other: when the fence went up after the writer's last look, the
 * compensation's undo comes after all of the writes and removes them; when it went up before,
 * the writer sees it and undoes what it wrote itself.
 *
 * @example
 * allocateSpace: asStep((input) => fencing.forward(input.key, () => parking.allocateSpace(input), () => parking.releaseAllocation(input.key))),
 * releaseAllocation: asStep((input) => fencing.undo(input.key, () => parking.releaseAllocation(input.key))),
 */
export function createFencing(fences: StepFences) {
  return {
    /** Runs a step's write under `key`, unless its rollback has begun; then writes nothing, or undoes its write. */
    async forward<T>(key: string, write: () => Promise<T>, undo: () => Promise<unknown>): Promise<T> {
      if (await fences.isRaised(key)) throw lateAttempt(key);
      let value: T;
      try {
        value = await write();
      } catch (err) {
        // The write may have committed and lost only its answer (a connection reset, a fault
        // after the commit): once the rollback has begun, nobody else will undo it.
        if (await fences.isRaised(key)) {
          await undo();
          throw lateAttempt(key);
        }
        throw err;
      }
      if (await fences.isRaised(key)) {
        await undo();
        throw lateAttempt(key);
      }
      return value;
    },

    /** Runs a compensation of the step under `key`, its fence raised first. */
    async undo<T>(key: string, undo: () => Promise<T>): Promise<T> {
      await fences.raise(key);
      return undo();
    },
  };
}

export type Fencing = ReturnType<typeof createFencing>;

/** What a late attempt reports (to nobody: Temporal has already moved on without it). */
function lateAttempt(key: string): BusinessRejection {
  return new BusinessRejection('STEP_ROLLED_BACK', `step ${key} was rolled back: this late attempt leaves no effect`);
}
