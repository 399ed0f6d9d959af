import type { Prisma } from '@prisma/client';
import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/client';
import { OutboundUrlError, STRICT_OUTBOUND, checkOutboundUrl, type OutboundPolicy } from '../../shared/outbound-url';
import { BusinessRejection, NotFoundError } from '../errors';
import { EVENT_TYPES, isEventType } from './event-catalogue';
import type { CloudEvent } from './event-log';

export interface SubscriptionView {
  id: string;
  url: string;
  types: string[];
  /** Receives the events numbered after this position. */
  fromPosition: number;
  createdBy: string;
  createdAt: string;
}

/** One delivery of one event to one subscription, for the notification outbox. */
export interface EventDelivery {
  subscriptionId: string;
  event: CloudEvent;
}

/** How deliveries get into the outbox inside the sequencer's transaction (the notifications domain). */
export type StageDeliveries = (tx: Prisma.TransactionClient, deliveries: EventDelivery[]) => Promise<void>;

export const MAX_SUBSCRIPTIONS = 50;

type Row = { id: string; url: string; types: string; fromPosition: number; createdBy: string; createdAt: Date };
const view = (row: Row): SubscriptionView => ({
  id: row.id,
  url: row.url,
  types: JSON.parse(row.types) as string[],
  fromPosition: row.fromPosition,
  createdBy: row.createdBy,
  createdAt: row.createdAt.toISOString(),
});

/**
 * Admins' subscriptions to domain events. The sequencer fans each numbered event out to the
 * subscriptions of its type (fanOut, in the numbering transaction), as rows of the notification
 * outbox: delivered by its dispatcher with its signatures, backoff, cap and dead rows.
 */
export function createSubscriptionService({ db, policy = STRICT_OUTBOUND }: { db: Db; policy?: OutboundPolicy }) {
  return {
    /** Registers `url` for `types`; answers the subscription and its signing secret (shown this once). */
    async subscribe(input: { url: string; types: string[]; createdBy: string }): Promise<SubscriptionView & { secret: string }> {
      const types = [...new Set(input.types)].sort();
      const unknown = types.filter((t) => !isEventType(t));
      if (types.length === 0 || unknown.length > 0) {
        throw new BusinessRejection('INVALID_EVENT_TYPES', `types must name events of ${EVENT_TYPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
      }
      let url: string;
      try {
        url = await checkOutboundUrl(input.url, policy);
      } catch (err) {
        if (err instanceof OutboundUrlError) throw new BusinessRejection('INVALID_WEBHOOK_URL', `the endpoint ${err.message}`);
        throw err;
      }
      if ((await db.eventSubscription.count()) >= MAX_SUBSCRIPTIONS) {
        throw new BusinessRejection('TOO_MANY_SUBSCRIPTIONS', `at most ${MAX_SUBSCRIPTIONS} subscriptions`);
      }
      const secret = `whsec_${randomBytes(24).toString('base64url')}`;
      // Under the sequencer's lock: every event numbered after fromPosition is numbered after this
      // commit, so the sequencer that numbers it sees the subscription and fans the event out to it.
      const row = await db.$transaction(async (tx) => {
        const counter = await tx.eventSequence.upsert({ where: { id: 1 }, create: { id: 1, last: 0 }, update: { last: { increment: 0 } } });
        return tx.eventSubscription.create({
          data: { url, secret, types: JSON.stringify(types), fromPosition: counter.last, createdBy: input.createdBy },
        });
      }, { maxWait: 10_000, timeout: 30_000 }); // may wait behind a sequencer's numbering
      return { ...view(row), secret };
    },

    async list(): Promise<SubscriptionView[]> {
      return (await db.eventSubscription.findMany({ orderBy: { createdAt: 'asc' } })).map(view);
    },

    /** Removes a subscription; its deliveries not made yet are dropped when they come due. */
    async unsubscribe(id: string): Promise<void> {
      const { count } = await db.eventSubscription.deleteMany({ where: { id } });
      if (count === 0) throw new NotFoundError(`subscription ${id} does not exist`);
    },

    /** The endpoint and secret of a subscription, or null once deleted (the notifications domain's port). */
    async endpointOf(id: string): Promise<{ url: string; secret: string } | null> {
      const row = await db.eventSubscription.findUnique({ where: { id }, select: { url: true, secret: true } });
      return row ?? null;
    },

    /** The deliveries of newly numbered `events`: one per event and subscription of its type registered before it. */
    async fanOut(tx: Prisma.TransactionClient, events: CloudEvent[], stage: StageDeliveries): Promise<void> {
      const subscriptions = await tx.eventSubscription.findMany({ select: { id: true, types: true, fromPosition: true } });
      if (subscriptions.length === 0) return;
      const wanted = subscriptions.map((s) => ({ id: s.id, from: s.fromPosition, types: new Set(JSON.parse(s.types) as string[]) }));
      const deliveries: EventDelivery[] = [];
      for (const event of events) {
        for (const s of wanted) if (event.position > s.from && s.types.has(event.type)) deliveries.push({ subscriptionId: s.id, event });
      }
      if (deliveries.length > 0) await stage(tx, deliveries);
    },
  };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;
