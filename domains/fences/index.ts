import type { Db } from '../../db/client';
import { isUniqueViolation } from '../errors';

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

/**
 * Step answers: the first answer a steering read gave under a saga step's key, kept so that
 * a rerun of the step answers the same. A local step's answer reaches the saga's history only
 * when its workflow task completes. When a worker dies before that, the next one runs the
 * task's steps again: writes find their own rows by key, but a read may answer otherwise by
 * then (a reservation expired meanwhile), and the saga would go another way, leaving the first
 * run's writes (a stay, an entry record) to no step that could undo them.
 */
export function createStepAnswers({ db }: { db: Db }) {
  return {
    /**
     * The answer stored under `key`; else `read()`'s, stored first. Concurrent first calls agree on
     * one. Without a key (an activity task scheduled by code from before the keys) it just reads.
     */
    async remember<T>(key: string | undefined, read: () => Promise<T>): Promise<T> {
      if (key === undefined) return read();
      const stored = await db.stepAnswer.findUnique({ where: { key }, select: { value: true } });
      if (stored) return JSON.parse(stored.value) as T;
      const value = JSON.stringify((await read()) ?? null);
      try {
        await db.stepAnswer.create({ data: { key, value }, select: { key: true } });
        return JSON.parse(value) as T;
      } catch (err) {
        // A concurrent first call stored its answer first: that one is the answer.
        if (!isUniqueViolation(err)) throw err;
        const kept = await db.stepAnswer.findUniqueOrThrow({ where: { key }, select: { value: true } });
        return JSON.parse(kept.value) as T;
      }
    },
  };
}

export type StepAnswers = ReturnType<typeof createStepAnswers>;
