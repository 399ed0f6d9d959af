import type { NotificationMessage, NotificationService } from '../domains/notifications';
import type { Logger } from '../shared/logger';

/** Posts a notification to a subscriber's webhook; anything but a 2xx within the timeout is a failure. */
export async function postWebhook(url: string, message: NotificationMessage, timeoutMs = 5000): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-event-key': message.eventKey },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status < 200 || res.status >= 300) throw new Error(`webhook ${url} answered ${res.status}`);
}

/**
 * Delivers queued notifications (order status changes) to their subscribers on an interval,
 * outside the sagas: a subscriber that is down neither slows nor fails a saga; its
 * notifications wait in the outbox and are retried with backoff until delivered.
 */
export function startNotificationDispatcher(notifications: NotificationService, logger: Logger, intervalMs: number) {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const report = await notifications.deliverDue({ send: (url, message) => postWebhook(url, message) });
      if (report.claimed > 0) logger.info({ event: 'notifications.delivered', ...report }, 'notifications sent');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
