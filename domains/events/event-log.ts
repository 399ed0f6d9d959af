import type { Prisma } from '@prisma/client';
import { createHash } from 'node:crypto';
import type { Db } from '../../db/client';
import { EVENT_SOURCE, type EventType } from './event-catalogue';

/** A change to tell of: `key` is the idempotency key of the step that made it. */
export interface NewDomainEvent {
  type: EventType;
  key: string;
  /** What the event is about, e.g. "order/<id>": the unit of ordering for subscribers. */
  subject: string;
  data: Record<string, unknown>;
}

/** An event as consumers see it: CloudEvents 1.0, structured JSON, plus its position in the log. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
  /** Extension attribute: the event's place in the log (the cursor of GET /events). */
  position: number;
}

/** The same change always has the same id, so a retried step writes it once and consumers de-duplicate by it. */
export function eventId(key: string, type: string): string {
  const hex = createHash('sha256').update(`${type}\n${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

type EventRow = { id: string; type: string; source: string; subject: string; time: Date; data: string; position: number | null };

export function cloudEventOf(row: EventRow): CloudEvent {
  return {
    specversion: '1.0',
    id: row.id,
    source: row.source,
    type: row.type,
    subject: row.subject,
    time: row.time.toISOString(),
    datacontenttype: 'application/json',
    data: JSON.parse(row.data) as Record<string, unknown>,
    position: row.position ?? 0,
  };
}

/** Hands each newly numbered event to whoever fans it out, inside the numbering transaction. */
export type OnSequenced = (tx: Prisma.TransactionClient, events: CloudEvent[]) => Promise<void>;

/**
 * The event log. Writers stage an event into the transaction of their change; it is written
 * once per id. Positions come later, from the sequencer:
 *
 * Why not number events when they are written? Numbers taken at write time (an autoincrement,
 * a PostgreSQL sequence) become visible in COMMIT order, not in number order: a reader at
 * cursor 7 can see 8 before a slower transaction holding 7 commits, and would skip 7 for
 * good. So a written event has no position; sequence() numbers the committed, unnumbered
 * events while holding the EventSequence row's lock (one sequencer at a time, across every
 * worker), in one transaction. Each numbering transaction commits whole, and the next one
 * starts only after it, with higher numbers: what a reader sees of the positions is always
 * 1..N with no gaps, and a later commit only ever adds above N. Readers read numbered events
 * only, so "position > cursor" never skips one and never repeats one.
 */
export function createEventLog({ db }: { db: Db }, options: { onSequenced?: OnSequenced } = {}) {
  return {
    /**
     * The write of `event`, to put in the change's own $transaction([...]) batch (or to await on
     * `client`, the change's interactive transaction). A second stage of the same id changes nothing.
     */
    stage(event: NewDomainEvent, client: EventClient = db): Prisma.PrismaPromise<unknown> {
      const id = eventId(event.key, event.type);
      // `update: { id }` changes nothing, but lets Prisma send one INSERT ... ON CONFLICT DO UPDATE
      // (its native upsert) instead of a read, an insert and a read back.
      return client.domainEvent.upsert({
        where: { id },
        create: { id, type: event.type, source: EVENT_SOURCE, subject: event.subject, data: JSON.stringify(event.data) },
        update: { id },
        select: { id: true },
      });
    },

    /** Numbers up to `limit` committed events (oldest first); answers how many. */
    async sequence(limit = 200): Promise<number> {
      return db.$transaction(
        async (tx) => {
          // The lock: every sequencer updates this row first, so they run one after another.
          const counter = await tx.eventSequence.upsert({ where: { id: 1 }, create: { id: 1, last: 0 }, update: { last: { increment: 0 } } });
          const rows = await tx.domainEvent.findMany({ where: { position: null }, orderBy: [{ time: 'asc' }, { id: 'asc' }], take: limit });
          if (rows.length === 0) return 0;
          const numbered = rows.map((row, i) => ({ ...row, position: counter.last + i + 1 }));
          for (const row of numbered) await tx.domainEvent.updateMany({ where: { id: row.id }, data: { position: row.position } }); // no row read back
          await tx.eventSequence.update({ where: { id: 1 }, data: { last: counter.last + rows.length } });
          await options.onSequenced?.(tx, numbered.map(cloudEventOf));
          return rows.length;
        },
        { maxWait: 10_000, timeout: 30_000 },
      );
    },

    /** The last position given out (0 before any). */
    async head(): Promise<number> {
      return (await db.eventSequence.findUnique({ where: { id: 1 } }))?.last ?? 0;
    },

    /**
     * Numbered events after `after`, in order, at most `limit`; `types` and `subject` filter.
     * `next` is the cursor to read on from: the last position returned, or `after` when none.
     */
    async read(query: { after: number; types?: string[]; subject?: string; limit: number }): Promise<{ events: CloudEvent[]; next: number }> {
      const rows = await db.domainEvent.findMany({
        where: {
          position: { gt: query.after },
          ...(query.types && query.types.length > 0 ? { type: { in: query.types } } : {}),
          ...(query.subject ? { subject: query.subject } : {}),
        },
        orderBy: { position: 'asc' },
        take: query.limit,
      });
      const events = rows.map(cloudEventOf);
      return { events, next: events.at(-1)?.position ?? query.after };
    },

    /** Every event about `subject`, numbered or not yet, in the order written (tests, operators). */
    async ofSubject(subject: string): Promise<CloudEvent[]> {
      const rows = await db.domainEvent.findMany({ where: { subject }, orderBy: [{ time: 'asc' }, { id: 'asc' }] });
      return rows.map(cloudEventOf);
    },
  };
}

export type EventLog = ReturnType<typeof createEventLog>;

/** The port a domain service writes its events through (EventLog implements it). */
export interface EventWriter {
  stage(event: NewDomainEvent, client?: EventClient): Prisma.PrismaPromise<unknown>;
}

/** Where an event is written: the database, or a change's interactive transaction. */
export type EventClient = Pick<Prisma.TransactionClient, 'domainEvent'>;
