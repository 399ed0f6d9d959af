import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import type { EventType, EventWriter } from '../events';
import { BusinessRejection, isUniqueViolation } from '../errors';
import type { FaultSwitches } from '../faults/fault-switch';
import { isValidPlate, normalizePlate, withNormalizedPlates } from './plate-number';

/** What the plate-recognition engine (an ANPR vendor) says about a plate read. */
export interface PlateRead {
  plate: string;
  confidence: number;
  vehicle: { make: string; model: string; color: string };
  vendor: string;
}

export interface RecognitionOptions {
  /** Accept the last good read (within the cache TTL) when every vendor is out. */
  cacheFallback?: boolean;
  /** Ask the backup vendor when the primary is out. */
  alternativeServices?: boolean;
}

/**
 * The port to the plate-recognition engine. It throws BusinessRejection('PLATE_UNREADABLE')
 * when the vendor cannot confirm the plate, and infrastructure errors when no vendor answers.
 */
export interface PlateRecognition {
  confirm(plate: string, options: RecognitionOptions): Promise<{ read: PlateRead; source: string }>;
}

export interface VerifiedPlate {
  plate: string;
  /** The engine's confirmation; absent when the platform runs without an engine. */
  read?: PlateRead;
  /** Which path answered: "primary:<instance>", "alternative:<vendor>" or "cache". */
  source?: string;
}

export interface EntryRecordView {
  id: string;
  plate: string;
  lotId: string;
  spaceId: string;
  status: string;
}

export interface ExitRecordView {
  id: string;
  plate: string;
  lotId: string;
  durationSeconds: number;
  status: string;
}

export interface PlateServiceDeps {
  db: Db;
  /** The domain event log (vehicle.entered, .exited and their cancellations), written with each record. */
  events: EventWriter;
  faults: FaultSwitches;
  /** The plate-recognition engine; without it, plates are checked by the rules and the blocklist only. */
  recognition?: PlateRecognition;
}

/** The plate domain: plate rules, the blocklist, and entry and exit records. */
export function createPlateService({ db, faults, recognition, events }: PlateServiceDeps) {
  type RecordRow = { id: string; key: string; plate: string; lotId: string };
  const recordEvent = (type: EventType, row: RecordRow, data: Record<string, unknown>) =>
    events.stage({ type, key: row.key, subject: `vehicle/${row.plate}`, data: { plate: row.plate, lotId: row.lotId, recordId: row.id, ...data } });

  /** Cancels the ACTIVE record under `key` with its event, in one transaction; a no-op otherwise. */
  async function cancelRecord(kind: 'entry' | 'exit', key: string): Promise<void> {
    const row = kind === 'entry' ? await db.entryRecord.findUnique({ where: { key } }) : await db.exitRecord.findUnique({ where: { key } });
    if (!row || row.status !== 'ACTIVE') return;
    const data = { status: 'CANCELLED', cancelledAt: new Date() };
    const where = { key, status: 'ACTIVE' };
    try {
      await db.$transaction([
        kind === 'entry' ? db.entryRecord.update({ where, data }) : db.exitRecord.update({ where, data }),
        recordEvent(kind === 'entry' ? 'vehicle.entry_cancelled' : 'vehicle.exit_cancelled', row, {}),
      ]);
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'P2025') throw err; // cancelled by a twin meanwhile
    }
  }

  async function checkRules(rawPlate: string, plate: string): Promise<VerifiedPlate> {
    if (!isValidPlate(plate)) throw new BusinessRejection('INVALID_PLATE', `"${rawPlate}" is not a valid Turkish plate`);
    const blocked = await db.blockedPlate.findUnique({ where: { plate } });
    if (blocked) throw new BusinessRejection('PLATE_BLOCKED', `${plate} is blocked: ${blocked.reason}`);
    return { plate };
  }

  // Fault points around the writes (`plates.<method>`, and `plates.<method>.after`): see FaultSwitches.guard.
  return faults.guard('plates', {
    /** Normalises a plate and checks it against the rules and the blocklist (no camera read to confirm). */
    async checkPlate(rawPlate: string): Promise<VerifiedPlate> {
      const plate = normalizePlate(rawPlate);
      return checkRules(rawPlate, plate);
    },

    /** Normalises a plate, checks it against the rules and the blocklist, then has the engine confirm the read. */
    async verifyPlate(rawPlate: string, options: RecognitionOptions = {}): Promise<VerifiedPlate> {
      const plate = normalizePlate(rawPlate);
      await checkRules(rawPlate, plate);
      if (!recognition) return { plate };
      const { read, source } = await recognition.confirm(plate, options);
      return { plate, read, source };
    },

    async blockPlate(rawPlate: string, reason: string) {
      const plate = normalizePlate(rawPlate);
      if (!isValidPlate(plate)) {
        throw new BusinessRejection('INVALID_PLATE', `"${rawPlate}" is not a valid Turkish plate`);
      }
      return db.blockedPlate.upsert({ where: { plate }, create: { plate, reason }, update: { reason } });
    },

    /** Removes a plate from the blocklist; false when it was not on it. */
    async unblockPlate(rawPlate: string): Promise<boolean> {
      const { count } = await db.blockedPlate.deleteMany({ where: { plate: normalizePlate(rawPlate) } });
      return count > 0;
    },

    /** Creates the entry record once per key; a retry gets the same record. */
    async createEntryRecord(input: { key: string; plate: string; lotId: string; spaceId: string }): Promise<EntryRecordView> {
      return createOnce(
        async () => {
          const data = { id: randomUUID(), ...input };
          const [row] = await db.$transaction([db.entryRecord.create({ data }), recordEvent('vehicle.entered', data, { spaceId: input.spaceId })]);
          return row;
        },
        () => db.entryRecord.findUniqueOrThrow({ where: { key: input.key } }),
        () => db.entryRecord.findUnique({ where: { key: input.key } }),
      );
    },

    /** Cancels the entry record made under `key`; a no-op when there is none or it is cancelled. */
    async cancelEntryRecord(key: string): Promise<void> {
      await cancelRecord('entry', key);
    },

    /** Creates the exit record once per key, with the stay's duration in whole seconds. */
    async createExitRecord(input: {
      key: string;
      plate: string;
      lotId: string;
      enteredAt: Date;
      exitedAt: Date;
    }): Promise<ExitRecordView> {
      const durationSeconds = Math.max(0, Math.round((input.exitedAt.getTime() - input.enteredAt.getTime()) / 1000));
      const data = { key: input.key, plate: input.plate, lotId: input.lotId, durationSeconds };
      return createOnce(
        async () => {
          const row = { id: randomUUID(), ...data };
          const [created] = await db.$transaction([db.exitRecord.create({ data: row }), recordEvent('vehicle.exited', row, { durationSeconds })]);
          return created;
        },
        () => db.exitRecord.findUniqueOrThrow({ where: { key: input.key } }),
        () => db.exitRecord.findUnique({ where: { key: input.key } }),
      );
    },

    async cancelExitRecord(key: string): Promise<void> {
      await cancelRecord('exit', key);
    },
  },
  {
    before: ['checkPlate', 'verifyPlate', 'createEntryRecord', 'cancelEntryRecord', 'createExitRecord', 'cancelExitRecord'],
    after: ['createEntryRecord', 'cancelEntryRecord', 'createExitRecord', 'cancelExitRecord'],
    subjects: withNormalizedPlates,
  });
}

export type PlateService = ReturnType<typeof createPlateService>;

/** Returns the row made under a key, creating it when absent; a concurrent twin loses the race cleanly. */
async function createOnce<T>(create: () => Promise<T>, reread: () => Promise<T>, find: () => Promise<T | null>): Promise<T> {
  const existing = await find();
  if (existing) return existing;
  try {
    return await create();
  } catch (err) {
    if (isUniqueViolation(err, 'key')) return reread();
    throw err;
  }
}
