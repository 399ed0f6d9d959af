import type { Db } from '../../db/client';

/** Thrown by an armed fault point: an infrastructure failure that Temporal retries. */
export class InjectedFault extends Error {
  override readonly name = 'InjectedFault';
}

export interface ArmOptions {
  /** Only calls about this subject (contained in a saga key, a plate, a lot id) fail. */
  match?: string;
  /** Fail this many calls, then disarm (default: until disarmed). */
  times?: number;
  /** Slow the calls down by this long instead of failing them. */
  delayMs?: number;
  message?: string;
}

export interface FaultSwitches {
  /** Throws InjectedFault when `point` is armed for one of `subjects` (and counts the trip down). */
  trip(point: string, ...subjects: string[]): Promise<void>;
  arm(point: string, options?: ArmOptions): Promise<void>;
  disarm(point: string, match?: string): Promise<void>;
  list(): Promise<Array<{ point: string; match: string; remaining: number | null; delayMs: number | null; message: string }>>;
}

/**
 * Fault switches kept in the database, so that a test or a demo can break a domain
 * operation inside a running worker process. Disabled switches cost nothing.
 */
export function createFaultSwitches(db: Db, enabled: boolean): FaultSwitches {
  return {
    async trip(point, ...subjects) {
      if (!enabled) return;
      const armed = await db.faultSwitch.findMany({ where: { point } });
      const hit = armed.find((f) => f.match === '' || subjects.some((s) => s.includes(f.match)));
      if (!hit) return;
      if (hit.remaining !== null) {
        // Count down atomically; the last trip removes the switch.
        const taken = await db.faultSwitch.updateMany({ where: { id: hit.id, remaining: { gt: 0 } }, data: { remaining: { decrement: 1 } } });
        await db.faultSwitch.deleteMany({ where: { id: hit.id, remaining: { lte: 0 } } });
        if (taken.count === 0) return;
      }
      if (hit.delayMs !== null) {
        await new Promise((resolve) => setTimeout(resolve, hit.delayMs!));
        return;
      }
      throw new InjectedFault(`${hit.message} (${point})`);
    },
    async arm(point, { match = '', times, delayMs, message = 'injected fault' } = {}) {
      if (!enabled) throw new Error('fault switches are disabled (FAULTS_ENABLED=false)');
      const data = { remaining: times ?? null, delayMs: delayMs ?? null, message };
      await db.faultSwitch.upsert({ where: { point_match: { point, match } }, create: { point, match, ...data }, update: data });
    },
    async disarm(point, match) {
      await db.faultSwitch.deleteMany({ where: match === undefined ? { point } : { point, match } });
    },
    async list() {
      return db.faultSwitch.findMany({ select: { point: true, match: true, remaining: true, delayMs: true, message: true }, orderBy: { point: 'asc' } });
    },
  };
}
