import type { Prisma } from '@prisma/client';
import type { Db } from '../../db/client';
import { isUniqueViolation } from '../errors';
import type { FaultSwitches } from '../faults/fault-switch';

/** An event to notify about, queued once per eventKey (e.g. "order:<id>:CONFIRMED"). */
export interface NotificationEvent {
  eventKey: string;
  type: string;
  /** The user whose webhook (if any) receives it. */
  userId?: string | null;
  payload: Record<string, unknown>;
}

/** What a subscriber's webhook receives. */
export interface NotificationMessage {
  id: string;
  eventKey: string;
  type: string;
  userId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
  attempt: number;
}

/** The port that delivers one message to one URL; it throws when the subscriber did not take it. */
export type SendNotification = (url: string, message: NotificationMessage) => Promise<void>;

/** The port that tells a user's webhook (the users domain implements it). */
export interface SubscriberDirectory {
  webhookUrlOf(userId: string): Promise<string | null>;
}

export interface NotificationServiceDeps {
  db: Db;
  faults: FaultSwitches;
  subscribers?: SubscriberDirectory;
}

export interface NotificationOptions {
  /** Receives every event (NOTIFY_WEBHOOK_URL). */
  globalWebhookUrl?: string | undefined;
  /** First retry delay (default 1 s); doubles per attempt up to backoffMaxMs (default 60 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long a claimed row is left to its dispatcher before another may take it (default 30 s). */
  leaseMs?: number;
  /** Rows claimed per deliverDue call (default 20). */
  batchSize?: number;
  /** Only deliver rows whose eventKey starts with this (dispatcher sharding; tests). */
  eventKeyPrefix?: string;
}

export interface DeliveryReport {
  claimed: number;
  delivered: number;
  retried: number;
  /** Set when the pass itself failed (e.g. the database); deliverDue never throws. */
  error?: string;
}

export interface OutboxEntryView {
  id: string;
  eventKey: string;
  type: string;
  userId: string | null;
  payload: Record<string, unknown>;
  attempts: number;
  nextAttemptAt: string;
  deliveredAt: string | null;
  lastError: string | null;
  deliveredTo: string[];
}

/**
 * Notifications through a transactional outbox. Writers queue an event in the SAME
 * transaction as their change (stage()), or on its own (enqueue()); a dispatcher calls
 * deliverDue() on a timer. Delivery is at least once: a row is retried with exponential
 * backoff until every subscriber took it; a subscriber that took it is not sent it again
 * by later retries of that row (unless the dispatcher died between send and record).
 */
export function createNotificationService({ db, faults, subscribers }: NotificationServiceDeps, options: NotificationOptions = {}) {
  const backoffBaseMs = options.backoffBaseMs ?? 1_000;
  const backoffMaxMs = options.backoffMaxMs ?? 60_000;
  const leaseMs = options.leaseMs ?? 30_000;
  const batchSize = options.batchSize ?? 20;

  const data = (event: NotificationEvent) => ({
    eventKey: event.eventKey,
    type: event.type,
    userId: event.userId ?? null,
    payload: JSON.stringify(event.payload),
  });

  /** The delay before the retry that follows failed attempt number `attempts` (1, 2, ...). */
  function backoffMs(attempts: number): number {
    return Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  }

  async function targetsOf(userId: string | null): Promise<string[]> {
    const urls: string[] = [];
    if (userId && subscribers) {
      const url = await subscribers.webhookUrlOf(userId);
      if (url) urls.push(url);
    }
    if (options.globalWebhookUrl) urls.push(options.globalWebhookUrl);
    return [...new Set(urls)];
  }

  // A fault point before each queueing (`notifications.enqueue`): see FaultSwitches.guard.
  return faults.guard('notifications', {
    /**
     * The write that queues `event`, to be put in the writer's own $transaction([...])
     * batch so that the change and its event are recorded together. Queued once per
     * eventKey: a second stage of the same key changes nothing.
     */
    stage(event: NotificationEvent): Prisma.PrismaPromise<unknown> {
      return db.notificationOutbox.upsert({ where: { eventKey: event.eventKey }, create: data(event), update: {} });
    },

    /** Queues `event` once per eventKey; true when this call queued it. */
    async enqueue(event: NotificationEvent): Promise<boolean> {
      if (await db.notificationOutbox.findUnique({ where: { eventKey: event.eventKey }, select: { id: true } })) return false;
      try {
        await db.notificationOutbox.create({ data: data(event) });
        return true;
      } catch (err) {
        if (isUniqueViolation(err, 'eventKey')) return false;
        throw err;
      }
    },

    /**
     * Delivers the rows due at `now`: claims each with a conditional update (two
     * dispatchers never both take a row), sends it to every subscriber not yet reached,
     * then marks it delivered or schedules a retry (backoff). Never throws.
     */
    async deliverDue(input: { now?: Date; send: SendNotification }): Promise<DeliveryReport> {
      const now = input.now ?? new Date();
      const report: DeliveryReport = { claimed: 0, delivered: 0, retried: 0 };
      try {
        const due = await db.notificationOutbox.findMany({
          where: {
            deliveredAt: null,
            nextAttemptAt: { lte: now },
            ...(options.eventKeyPrefix ? { eventKey: { startsWith: options.eventKeyPrefix } } : {}),
          },
          orderBy: { nextAttemptAt: 'asc' },
          take: batchSize,
        });
        for (const row of due) {
          const attempt = row.attempts + 1;
          const claim = await db.notificationOutbox.updateMany({
            where: { id: row.id, deliveredAt: null, attempts: row.attempts, nextAttemptAt: { lte: now } },
            data: { attempts: attempt, nextAttemptAt: new Date(now.getTime() + leaseMs) },
          });
          if (claim.count === 0) continue; // another dispatcher has it
          report.claimed++;
          const deliveredTo = parseList(row.deliveredTo);
          const errors: string[] = [];
          try {
            const message: NotificationMessage = {
              id: row.id,
              eventKey: row.eventKey,
              type: row.type,
              userId: row.userId,
              payload: JSON.parse(row.payload) as Record<string, unknown>,
              createdAt: row.createdAt.toISOString(),
              attempt,
            };
            for (const url of await targetsOf(row.userId)) {
              if (deliveredTo.includes(url)) continue;
              try {
                await input.send(url, message);
                deliveredTo.push(url);
              } catch (err) {
                errors.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
              }
            }
          } catch (err) {
            errors.push(err instanceof Error ? err.message : String(err));
          }
          const mine = { id: row.id, attempts: attempt, deliveredAt: null };
          if (errors.length === 0) {
            await db.notificationOutbox.updateMany({
              where: mine,
              data: { deliveredAt: now, lastError: null, deliveredTo: JSON.stringify(deliveredTo) },
            });
            report.delivered++;
          } else {
            await db.notificationOutbox.updateMany({
              where: mine,
              data: {
                nextAttemptAt: new Date(now.getTime() + backoffMs(attempt)),
                lastError: errors.join('; ').slice(0, 1000),
                deliveredTo: JSON.stringify(deliveredTo),
              },
            });
            report.retried++;
          }
        }
      } catch (err) {
        report.error = err instanceof Error ? err.message : String(err);
      }
      return report;
    },

    /** The outbox row of an event, or null. */
    async getEntry(eventKey: string): Promise<OutboxEntryView | null> {
      const row = await db.notificationOutbox.findUnique({ where: { eventKey } });
      return row ? entryView(row) : null;
    },

    /** Rows not delivered yet, oldest due first (for an operator endpoint). */
    async listPending(limit = 50): Promise<OutboxEntryView[]> {
      const rows = await db.notificationOutbox.findMany({ where: { deliveredAt: null }, orderBy: { nextAttemptAt: 'asc' }, take: limit });
      return rows.map(entryView);
    },

    backoffMs,
  },
  {
    before: ['enqueue'],
  });
}

export type NotificationService = ReturnType<typeof createNotificationService>;

function parseList(raw: string): string[] {
  try {
    const value = JSON.parse(raw) as unknown;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function entryView(row: {
  id: string;
  eventKey: string;
  type: string;
  userId: string | null;
  payload: string;
  attempts: number;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  lastError: string | null;
  deliveredTo: string;
}): OutboxEntryView {
  return {
    id: row.id,
    eventKey: row.eventKey,
    type: row.type,
    userId: row.userId,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    lastError: row.lastError,
    deliveredTo: parseList(row.deliveredTo),
  };
}
