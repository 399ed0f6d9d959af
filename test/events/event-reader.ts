import type { CloudEvent } from '../../domains/events';
import { waitUntil } from '../support/processes';
import type { TestStack } from '../support/stack';

/** Reads GET /events from `after` to the end of the log, page by page. */
export async function readFrom(stack: TestStack, after: number, limit = 100): Promise<{ events: CloudEvent[]; next: number }> {
  const events: CloudEvent[] = [];
  let cursor = after;
  for (;;) {
    const res = await stack.app.inject({ method: 'GET', url: `/events?after=${cursor}&limit=${limit}` });
    if (res.statusCode !== 200) throw new Error(`GET /events answered ${res.statusCode}: ${res.body}`);
    const page = res.json() as { events: CloudEvent[]; next: number };
    events.push(...page.events);
    if (page.events.length === 0) return { events, next: cursor };
    cursor = page.next;
  }
}

/** The log's head now: read from here, a test sees only what happens after. */
export async function headOf(stack: TestStack): Promise<number> {
  return (await readFrom(stack, 0, 500)).next;
}

/**
 * The numbered events after `after` that `mine` picks, once `done` holds for them (the worker's
 * sequencer numbers events a moment after their transaction commits).
 */
export async function eventsOf(
  stack: TestStack,
  after: number,
  mine: (event: CloudEvent) => boolean,
  done: (events: CloudEvent[]) => boolean,
): Promise<CloudEvent[]> {
  let picked: CloudEvent[] = [];
  await waitUntil(
    'the events to be numbered',
    async () => {
      picked = (await readFrom(stack, after)).events.filter(mine);
      return done(picked);
    },
    60_000,
  );
  return picked;
}

/** True when the event's data names `id` (an order, reservation, payment reference or plate). */
export const about = (id: string) => (event: CloudEvent) =>
  Object.values(event.data).some((v) => v === id) || event.subject.endsWith(`/${id}`);

export const typesOf = (events: CloudEvent[]) => events.map((e) => e.type);
