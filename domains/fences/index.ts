import type { Db } from '../../db/client';

/**
 * Step fences: one row per saga step key whose rollback has begun. Kept in the project's
 * database, beside the effects they guard (activities/fencing.ts says how they are used).
 */
export function createStepFences({ db }: { db: Db }) {
  return {
    /** Marks `key` as rolled back; raising it again is a no-op. */
    async raise(key: string): Promise<void> {
      await db.stepFence.upsert({ where: { key }, create: { key }, update: {} });
    },

    /** True once the rollback of the step under `key` has begun. */
    async isRaised(key: string): Promise<boolean> {
      return (await db.stepFence.findUnique({ where: { key }, select: { key: true } })) !== null;
    },
  };
}

export type StepFences = ReturnType<typeof createStepFences>;
