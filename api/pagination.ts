import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { MAX_PAGE_SIZE, type PagePosition } from '../domains/reservations/reservation-queries';

/**
 * Opaque page cursors: base64url(JSON position) "." base64url(HMAC-SHA256). The MAC covers the
 * position and the query it was issued for (route and normalised filters), so a cursor that was
 * edited, made up, or reused with other filters is refused (400 naming `cursor`) instead of
 * silently paging from somewhere else. The key derives from the API's JWT secret: every API
 * process accepts every other's cursors, across restarts, with no state to keep.
 */
export class Cursors {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('saga-platform/page-cursor/v1').digest();
  }

  private mac(scope: string, body: string): Buffer {
    return createHmac('sha256', this.key).update(scope).update('\n').update(body).digest();
  }

  encode(scope: string, position: PagePosition): string {
    const body = Buffer.from(JSON.stringify({ t: position.createdAt, i: position.id })).toString('base64url');
    return `${body}.${this.mac(scope, body).toString('base64url')}`;
  }

  /** The position, or null for anything this API did not issue for `scope`. */
  decode(scope: string, cursor: string): PagePosition | null {
    const match = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{43})$/.exec(cursor);
    if (!match) return null;
    const [, body, mac] = match as unknown as [string, string, string];
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== 32 || !timingSafeEqual(given, this.mac(scope, body))) return null;
    // Signed by us, so well-formed; parsed strictly all the same (a key rotation must not make a 500).
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const parsed = position.safeParse(json);
    return parsed.success ? { createdAt: parsed.data.t, id: parsed.data.i } : null;
  }
}

const position = z.object({ t: z.iso.datetime(), i: z.string().min(1).max(100) });

/**
 * A paged search's querystring: `filters`, then limit (1..MAX_PAGE_SIZE, default 20) and cursor.
 * The result carries `after` (the decoded cursor) and `scope` (to sign the next cursor with).
 * `kind` names the listing, so a cursor of one listing is no cursor of another.
 */
export function pagedQuery<S extends z.ZodRawShape>(kind: string, filters: S, cursors: Cursors) {
  return z
    .object({
      ...filters,
      limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
      cursor: z.string().max(600).optional(),
    })
    .transform((query, ctx) => {
      const { limit, cursor, ...rest } = query as { limit: number; cursor?: string } & Record<string, unknown>;
      const scope = scopeOf(kind, rest);
      let after: PagePosition | null = null;
      if (cursor !== undefined) {
        after = cursors.decode(scope, cursor);
        if (!after) {
          ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'not a cursor this search gave out (tampered with, or from other filters)' });
          return z.NEVER;
        }
      }
      return { ...(rest as z.output<z.ZodObject<S>>), limit, after, scope };
    });
}

/** The listing and its filters, canonical: keys sorted, absent ones left out, dates as ISO. */
function scopeOf(kind: string, filters: Record<string, unknown>): string {
  const entries = Object.entries(filters)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([kind, entries]);
}

/** A page as the API answers it: the items under `name`, and the cursor of the next page (null at the end). */
export function pageReply<T, N extends string>(name: N, page: { items: T[]; next: PagePosition | null }, cursors: Cursors, scope: string) {
  return { [name]: page.items, nextCursor: page.next ? cursors.encode(scope, page.next) : null } as { [K in N]: T[] } & { nextCursor: string | null };
}
