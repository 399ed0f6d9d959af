import type { Db } from '../../db/client';

/** Thrown by an armed fault point: an infrastructure failure that Temporal retries. */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

export interface FaultSwitches {
  /** Throws InjectedFault when the point is armed (and counts the trip down). */
  trip(point: string): Promise<void>;
  arm(point: string, options?: { times?: number; message?: string }): Promise<void>;
  disarm(point: string): Promise<void>;
  list(): Promise<Array<{ point: string; remaining: number | null; message: string }>>;
}

/**
 * Fault switches kept in the database, so that a test or a demo can break a
 * domain operation inside a running worker process. Disabled switches cost nothing.
 */
export function createFaultSwitches(db: Db, enabled: boolean): FaultSwitches {
  return {
    async trip(point) {
      if (!enabled) return;
      const armed = await db.faultSwitch.findUnique({ where: { point } });
      if (!armed) return;
      if (armed.remaining !== null) {
        // Count down atomically; whoever takes the last trip removes the switch.
        const taken = await db.faultSwitch.updateMany({
          where: { point, remaining: { gt: 0 } },
          data: { remaining: { decrement: 1 } },
        });
        await db.faultSwitch.deleteMany({ where: { point, remaining: { lte: 0 } } });
        if (taken.count === 0) return;
      }
      throw new InjectedFault(`${armed.message} (${point})`);
    },
    async arm(point, options = {}) {
      if (!enabled) throw new Error('fault switches are disabled (FAULTS_ENABLED=false)');
      const data = { remaining: options.times ?? null, message: options.message ?? 'injected fault' };
      await db.faultSwitch.upsert({ where: { point }, create: { point, ...data }, update: data });
    },
    async disarm(point) {
      await db.faultSwitch.deleteMany({ where: { point } });
    },
    async list() {
      return db.faultSwitch.findMany({ select: { point: true, remaining: true, message: true }, orderBy: { point: 'asc' } });
    },
  };
}
