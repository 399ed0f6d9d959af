import { Runtime } from '@temporalio/worker';
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { NotificationMessage, NotificationService } from '../domains/notifications';
import type { Logger } from '../shared/logger';
import { STRICT_OUTBOUND, parseOutboundUrl, resolveOutbound, type OutboundPolicy } from '../shared/outbound-url';

export interface WebhookOptions {
  /** The subscriber's signing secret; unsigned without one. */
  secret?: string | null;
  /** How long this subscriber gets to answer (default 5 s). */
  timeoutMs?: number;
  policy?: OutboundPolicy;
  /** The clock of the signature's timestamp (tests). */
  now?: () => Date;
}

/**
 * The signature of a delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
 * subscriber's secret (the README shows how a receiver checks it).
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Posts a notification to a subscriber's webhook; anything but a 2xx within the timeout is a
 * failure, and so is a redirect (never followed). The host is resolved and checked again now
 * (DNS can change after the URL was accepted), and the connection goes to the address checked,
 * not to a second lookup.
 */
export async function postWebhook(url: string, message: NotificationMessage, options: WebhookOptions = {}): Promise<void> {
  const policy = options.policy ?? STRICT_OUTBOUND;
  const target = parseOutboundUrl(url, policy);
  const [address] = await resolveOutbound(target, policy);
  const pinned: LookupFunction = (_host, lookupOptions, callback) => {
    const family = address!.includes(':') ? 6 : 4;
    if (lookupOptions.all) callback(null, [{ address: address!, family }]);
    else callback(null, address!, family);
  };
  // A subscription's delivery is its CloudEvent alone (structured mode); a user's webhook gets the message.
  const body = JSON.stringify(message.body ?? message);
  const timestamp = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const headers: Record<string, string> = {
    'content-type': message.body ? 'application/cloudevents+json' : 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-event-key': message.eventKey,
    'x-webhook-id': message.id,
    'x-webhook-timestamp': String(timestamp),
    ...(options.secret && { 'x-webhook-signature': signWebhook(options.secret, timestamp, body) }),
  };
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const status = await new Promise<number>((resolve, reject) => {
    const req = send(target, { method: 'POST', headers, lookup: pinned, timeout: options.timeoutMs ?? 5000 }, (res) => {
      res.resume(); // the answer's body is not read, only drained
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
  if (status < 200 || status >= 300) throw new Error(`webhook ${url} answered ${status}`);
}

export interface DispatcherOptions {
  intervalMs: number;
  /** Each subscriber's time to answer. */
  timeoutMs: number;
  policy: OutboundPolicy;
  /** Numbers the domain events committed since the last pass (and queues their deliveries): EventLog.sequence. */
  sequence?: () => Promise<number>;
}

/**
 * Delivers queued notifications (order status changes) to their subscribers on an interval,
 * outside the sagas: a subscriber that is down neither slows nor fails a saga; its
 * notifications wait in the outbox and are retried with backoff until delivered, or marked dead
 * (counted in `notifications_dead`). Passes overlap (a few at most): a pass stuck on a slow
 * subscriber does not hold up the rows that come due meanwhile (claims keep two passes apart).
 */
export function startNotificationDispatcher(notifications: NotificationService, logger: Logger, options: DispatcherOptions) {
  const MAX_PASSES = 4;
  const meter = Runtime.instance().metricMeter;
  const dead = meter.createCounter('notifications_dead', '1', 'Notifications given up on (marked dead after their retries)');
  const deliveries = meter.createCounter('notifications_deliveries', '1', 'Notification deliveries, by outcome (delivered, retried)');
  let passes = 0;
  const tick = async () => {
    if (passes >= MAX_PASSES) return;
    passes++;
    try {
      // Numbering first: the deliveries it queues go out in this same pass.
      if (options.sequence) {
        await options.sequence().catch((err: unknown) => logger.warn({ err, event: 'events.sequence_failed' }, 'could not number the domain events'));
      }
      const report = await notifications.deliverDue({
        send: (url, message, secret) => postWebhook(url, message, { secret, timeoutMs: options.timeoutMs, policy: options.policy }),
      });
      for (const outcome of ['delivered', 'retried'] as const) if (report[outcome] > 0) deliveries.add(report[outcome], { outcome });
      if (report.dead > 0) {
        dead.add(report.dead);
        logger.warn({ event: 'notifications.dead', ...report }, 'notifications given up on');
      }
      if (report.claimed > 0) logger.info({ event: 'notifications.delivered', ...report }, 'notifications sent');
    } finally {
      passes--;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
