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
  /**
   * SIGKILL the process at the point instead of failing the call: at an `.after` point, the
   * effect is committed and the process dies before it reports it. Only processes that allow
   * it (worker processes of tests: FAULT_SWITCHES_MAY_KILL=true) die; elsewhere the call fails.
   */
  kill?: boolean;
  /**
   * Hold each call at the point until the switch is disarmed, then let it go on (`times` does
   * not apply): a call that outlives its activity's timeout and writes after Temporal has
   * moved on. The switch's `remaining` counts the calls it has caught (a test waits for one).
   */
  hold?: boolean;
  message?: string;
}

export interface ArmedFault {
  point: string;
  match: string;
  remaining: number | null;
  delayMs: number | null;
  kill: boolean;
  hold: boolean;
  message: string;
}

export interface FaultSwitches {
  /** Throws InjectedFault when `point` is armed for one of `subjects` (and counts the trip down). */
  trip(point: string, ...subjects: string[]): Promise<void>;
  arm(point: string, options?: ArmOptions): Promise<void>;
  disarm(point: string, match?: string): Promise<void>;
  list(): Promise<ArmedFault[]>;
  /**
   * Puts a domain service's fault points around its methods, once for the whole service:
   * `<domain>.<method>` tripped before each of `points.before` runs, and `<domain>.<method>.after`
   * once each of `points.after` (by default the same methods) has done its work (its writes committed) and before it answers:
   * a failure or a crash there leaves the effect done and unacknowledged, so the retry must find
   * it. The subjects are the strings among the call's arguments and their fields, mapped by
   * `points.subjects` when given (e.g. plates also in their normalised form).
   */
  guard<S extends object>(domain: string, service: S, points: FaultPoints<S>): S;
}

export interface FaultPoints<S> {
  before: ReadonlyArray<keyof S & string>;
  /** Defaults to `before`. */
  after?: ReadonlyArray<keyof S & string>;
  subjects?: (subjects: string[]) => string[];
}

/**
 * The FaultSwitch table has no column for the action (a dev-only switch is not worth a
 * migration of both schemas): a kill or a hold is stored as this message.
 */
const KILL_MESSAGE = 'SIGKILL: the process dies at this point';
const HOLD_MESSAGE = 'HOLD: calls wait here until the switch is disarmed';
const HOLD_POLL_MS = 100;

export interface FaultSwitchOptions {
  /** Ends the process at a kill switch; undefined: kill switches fail the call instead. */
  kill?: (point: string, subjects: string[]) => void;
}

/** SIGKILL of the current process, announced on stderr (a JSON line, as the logs are) so a test can tell what was hit. */
export function killThisProcess(point: string, subjects: string[]): void {
  process.stderr.write(`${JSON.stringify({ event: 'fault_switch.kill', point, subjects, pid: process.pid, time: Date.now() })}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/** Only a process started with FAULT_SWITCHES_MAY_KILL=true (a test's worker) may be killed by a switch. */
const defaultOptions = (): FaultSwitchOptions => (process.env.FAULT_SWITCHES_MAY_KILL === 'true' ? { kill: killThisProcess } : {});

/** The strings a call is about: its string arguments and the string fields of its object arguments. */
export function subjectsOf(args: unknown[]): string[] {
  const subjects: string[] = [];
  for (const arg of args) {
    if (typeof arg === 'string') subjects.push(arg);
    else if (arg && typeof arg === 'object') for (const value of Object.values(arg)) if (typeof value === 'string') subjects.push(value);
  }
  return subjects;
}

/**
 * Fault switches kept in the database, so that a test or a demo can break a domain
 * operation inside a running worker process. Disabled switches cost nothing.
 */
export function createFaultSwitches(db: Db, enabled: boolean, options: FaultSwitchOptions = defaultOptions()): FaultSwitches {
  const switches: FaultSwitches = {
    async trip(point, ...subjects) {
      if (!enabled) return;
      const armed = await db.faultSwitch.findMany({ where: { point } });
      const hit = armed.find((f) => f.match === '' || subjects.some((s) => s.includes(f.match)));
      if (!hit) return;
      if (hit.message === HOLD_MESSAGE) {
        await db.faultSwitch.updateMany({ where: { id: hit.id }, data: { remaining: { increment: 1 } } });
        while (await db.faultSwitch.findUnique({ where: { id: hit.id }, select: { id: true } })) {
          await new Promise((resolve) => setTimeout(resolve, HOLD_POLL_MS));
        }
        return;
      }
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
      if (hit.message === KILL_MESSAGE) {
        options.kill?.(point, subjects);
        throw new InjectedFault(`a kill switch (${point}) in a process that may not be killed`);
      }
      throw new InjectedFault(`${hit.message} (${point})`);
    },
    async arm(point, { match = '', times, delayMs, kill, hold, message = 'injected fault' } = {}) {
      if (!enabled) throw new Error('fault switches are disabled (FAULTS_ENABLED=false)');
      const action = kill ? KILL_MESSAGE : hold ? HOLD_MESSAGE : message;
      const data = { remaining: hold ? 0 : (times ?? null), delayMs: delayMs ?? null, message: action };
      await db.faultSwitch.upsert({ where: { point_match: { point, match } }, create: { point, match, ...data }, update: data });
    },
    async disarm(point, match) {
      await db.faultSwitch.deleteMany({ where: match === undefined ? { point } : { point, match } });
    },
    async list() {
      const rows = await db.faultSwitch.findMany({ select: { point: true, match: true, remaining: true, delayMs: true, message: true }, orderBy: { point: 'asc' } });
      return rows.map((row) => ({ ...row, kill: row.message === KILL_MESSAGE, hold: row.message === HOLD_MESSAGE }));
    },
    guard<S extends object>(domain: string, service: S, points: FaultPoints<S>): S {
      if (!enabled) return service;
      const wrapped = { ...service } as Record<string, unknown>;
      const subjects = (args: unknown[]) => (points.subjects ?? ((s) => s))(subjectsOf(args));
      const afterPoints = points.after ?? points.before;
      for (const name of new Set([...points.before, ...afterPoints])) {
        const method = service[name] as unknown as (...args: unknown[]) => Promise<unknown>;
        const before = points.before.includes(name);
        const after = afterPoints.includes(name);
        wrapped[name] = async (...args: unknown[]) => {
          if (before) await switches.trip(`${domain}.${name}`, ...subjects(args));
          const result = await method(...args);
          if (after) await switches.trip(`${domain}.${name}.after`, ...subjects(args));
          return result;
        };
      }
      return wrapped as S;
    },
  };
  return switches;
}
