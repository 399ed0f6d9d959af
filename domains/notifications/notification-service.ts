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
  /** What the endpoint receives instead of this message: a subscription's CloudEvent (structured JSON). */
  body?: Record<string, unknown>;
}

/**
 * The port that delivers one message to one URL, signed with the subscriber's secret when it has
 * one; it throws when the subscriber did not take it.
 */
export type SendNotification = (url: string, message: NotificationMessage, secret?: string | null) => Promise<void>;

/** The port that tells a user's webhook and its signing secret (the users domain implements it). */
export interface SubscriberDirectory {
  webhookOf(userId: string): Promise<{ url: string; secret: string | null } | null>;
}

/** The port that tells an event subscription's endpoint and secret, null once it is deleted (the events domain implements it). */
export interface EndpointDirectory {
  endpointOf(subscriptionId: string): Promise<{ url: string; secret: string } | null>;
}

/** A domain event to deliver to one subscription (see stageDeliveries). */
export interface EventDeliveryRow {
  subscriptionId: string;
  event: { id: string; type: string; subject: string; position: number };
}

export interface NotificationServiceDeps {
  db: Db;
  faults: FaultSwitches;
  subscribers?: SubscriberDirectory;
  endpoints?: EndpointDirectory;
}

export interface NotificationOptions {
  /** Receives every event (NOTIFY_WEBHOOK_URL), signed with globalWebhookSecret (NOTIFY_WEBHOOK_SECRET). */
  globalWebhookUrl?: string | undefined;
  globalWebhookSecret?: string | undefined;
  /** After this long of failed attempts a row is marked dead and no longer retried (default 24 h). */
  giveUpAfterMs?: number;
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
  /** Rows given up on in this pass (marked dead). */
  dead: number;
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
  deadAt: string | null;
}

/**
 * Notifications through a transactional outbox. Writers queue an event in the SAME
 * transaction as their change (stage()), or on its own (enqueue()); a dispatcher calls
 * deliverDue() on a timer. Delivery is at least once: a row is retried with exponential
 * backoff until every subscriber took it; a subscriber that took it is not sent it again
 * by later retries of that row (unless the dispatcher died between send and record).
 */
type OutboxRow = NonNullable<Awaited<ReturnType<Db['notificationOutbox']['findUnique']>>>;

export function createNotificationService({ db, faults, subscribers, endpoints }: NotificationServiceDeps, options: NotificationOptions = {}) {
  const backoffBaseMs = options.backoffBaseMs ?? 1_000;
  const backoffMaxMs = options.backoffMaxMs ?? 60_000;
  const leaseMs = options.leaseMs ?? 30_000;
  const batchSize = options.batchSize ?? 20;
  const giveUpAfterMs = options.giveUpAfterMs ?? 24 * 3_600_000;

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

  async function targetsOf(row: OutboxRow): Promise<Array<{ url: string; secret: string | null }>> {
    // A subscription's delivery goes to its endpoint alone; none once the subscription is deleted.
    if (row.subscriptionId) {
      const endpoint = await endpoints?.endpointOf(row.subscriptionId);
      return endpoint ? [endpoint] : [];
    }
    const userId = row.userId;
    const targets: Array<{ url: string; secret: string | null }> = [];
    if (userId && subscribers) {
      const webhook = await subscribers.webhookOf(userId);
      if (webhook) targets.push(webhook);
    }
    if (options.globalWebhookUrl && !targets.some((t) => t.url === options.globalWebhookUrl)) {
      targets.push({ url: options.globalWebhookUrl, secret: options.globalWebhookSecret ?? null });
    }
    return targets;
  }

  /**
   * Rows with an orderKey (a subscription and an event subject) go out one at a time, in
   * position order: the earliest row of the key not delivered nor dead, or null.
   */
  function headOf(row: OutboxRow) {
    return db.notificationOutbox.findFirst({
      where: { orderKey: row.orderKey, position: { lt: row.position ?? 0 }, deliveredAt: null, deadAt: null },
      orderBy: { position: 'asc' },
      select: { nextAttemptAt: true },
    });
  }

  /**
   * A row waiting behind an earlier one of its key is put off until that one is due again (it
   * takes no attempt and no batch room meanwhile); when the earlier one is done, wakeNext makes
   * it due at once.
   */
  async function deferBehind(row: OutboxRow, now: Date): Promise<boolean> {
    if (!row.orderKey) return false;
    const head = await headOf(row);
    if (!head) return false;
    // Until the head's next try, at most a backoff away (a head in flight holds a lease that long).
    const soonest = now.getTime() + backoffBaseMs;
    const until = new Date(Math.max(soonest, Math.min(head.nextAttemptAt.getTime(), now.getTime() + backoffMaxMs)));
    await db.notificationOutbox.updateMany({ where: { id: row.id, attempts: row.attempts, deliveredAt: null }, data: { nextAttemptAt: until } });
    return true;
  }

  async function wakeNext(row: OutboxRow, now: Date): Promise<void> {
    if (!row.orderKey) return;
    const next = await db.notificationOutbox.findFirst({
      where: { orderKey: row.orderKey, position: { gt: row.position ?? 0 }, deliveredAt: null, deadAt: null },
      orderBy: { position: 'asc' },
      select: { id: true },
    });
    if (next) await db.notificationOutbox.updateMany({ where: { id: next.id, nextAttemptAt: { gt: now } }, data: { nextAttemptAt: now } });
  }

  /** One claimed row: sent to every subscriber not reached yet, all at once; then recorded. */
  async function deliverRow(row: OutboxRow, now: Date, send: SendNotification, report: DeliveryReport): Promise<void> {
    if (await deferBehind(row, now)) return;
    const attempt = row.attempts + 1;
    const claim = await db.notificationOutbox.updateMany({
      where: { id: row.id, deliveredAt: null, deadAt: null, attempts: row.attempts, nextAttemptAt: { lte: now } },
      data: { attempts: attempt, nextAttemptAt: new Date(now.getTime() + leaseMs) },
    });
    if (claim.count === 0) return; // another dispatcher has it
    report.claimed++;
    const deliveredTo = parseList(row.deliveredTo);
    const errors: string[] = [];
    try {
      const payload = JSON.parse(row.payload) as Record<string, unknown>;
      const message: NotificationMessage = {
        id: row.id,
        eventKey: row.eventKey,
        type: row.type,
        userId: row.userId,
        payload,
        createdAt: row.createdAt.toISOString(),
        attempt,
        ...(row.subscriptionId && { body: payload }),
      };
      // Subscribers do not wait on each other: a slow one costs only its own timeout.
      const pending = (await targetsOf(row)).filter((t) => !deliveredTo.includes(t.url));
      await Promise.all(
        pending.map(async (target) => {
          try {
            await send(target.url, message, target.secret);
            deliveredTo.push(target.url);
          } catch (err) {
            errors.push(`${target.url}: ${err instanceof Error ? err.message : String(err)}`);
          }
        }),
      );
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
      await wakeNext(row, now);
      return;
    }
    const lastError = errors.join('; ').slice(0, 1000);
    if (now.getTime() - row.createdAt.getTime() >= giveUpAfterMs) {
      await db.notificationOutbox.updateMany({ where: mine, data: { deadAt: now, lastError, deliveredTo: JSON.stringify(deliveredTo) } });
      report.dead++;
      await wakeNext(row, now);
      return;
    }
    await db.notificationOutbox.updateMany({
      where: mine,
      data: { nextAttemptAt: new Date(now.getTime() + backoffMs(attempt)), lastError, deliveredTo: JSON.stringify(deliveredTo) },
    });
    report.retried++;
  }

  // A fault point before each queueing (`notifications.enqueue`): see FaultSwitches.guard.
  return faults.guard('notifications', {
    /**
     * The write that queues `event`, to be put in the writer's own $transaction([...])
     * batch so that the change and its event are recorded together. Queued once per
     * eventKey: a second stage of the same key changes nothing.
     */
    stage(event: NotificationEvent): Prisma.PrismaPromise<unknown> {
      // `update` sets the key to itself (a no-op): with an empty update Prisma reads, inserts and
      // reads again; with this one it sends a single INSERT ... ON CONFLICT.
      return db.notificationOutbox.upsert({ where: { eventKey: event.eventKey }, create: data(event), update: { eventKey: event.eventKey } });
    },

    /**
     * Queues the deliveries of domain events to subscriptions, inside the transaction that
     * numbers the events (the events domain's sequencer), so that none is lost in between.
     */
    async stageDeliveries(tx: Prisma.TransactionClient, deliveries: EventDeliveryRow[]): Promise<void> {
      await tx.notificationOutbox.createMany({
        data: deliveries.map(({ subscriptionId, event }) => ({
          eventKey: `event:${subscriptionId}:${event.id}`,
          type: event.type,
          userId: null,
          payload: JSON.stringify(event),
          subscriptionId,
          orderKey: `${subscriptionId}|${event.subject}`,
          position: event.position,
        })),
      });
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
      const report: DeliveryReport = { claimed: 0, delivered: 0, retried: 0, dead: 0 };
      try {
        const due = await db.notificationOutbox.findMany({
          where: {
            deliveredAt: null,
            deadAt: null,
            nextAttemptAt: { lte: now },
            ...(options.eventKeyPrefix ? { eventKey: { startsWith: options.eventKeyPrefix } } : {}),
          },
          orderBy: { nextAttemptAt: 'asc' },
          take: batchSize,
        });
        // Rows go out side by side: one subscriber's slow answers hold up no other row.
        await Promise.all(due.map((row) => deliverRow(row, now, input.send, report)));
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
  deadAt: Date | null;
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
    deadAt: row.deadAt?.toISOString() ?? null,
  };
}
