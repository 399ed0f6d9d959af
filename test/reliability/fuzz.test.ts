import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { DEVICE_KEY, uniquePlate } from '../support/stack';
import { World } from './support/world';

/**
 * Bad input, fuzzed with fast-check against every route of the API: malformed JSON, wrong
 * types, huge bodies, deep nesting, unicode (lone surrogates, NUL, right-to-left marks,
 * emoji), SQL-looking strings, odd content types, odd tokens. Properties:
 * - never a 5xx, and the answer is JSON;
 * - a request refused (4xx) changes nothing: every table has the rows it had;
 * - strings that are stored come back byte for byte (lot, product and owner names).
 * A failing case prints fast-check's seed and path, to replay it.
 * The world has its own database, so row counts are not disturbed by other test files.
 */
let world: World;
let routes: Array<{ method: string; url: string }>;
let known: { lotId: string; productId: string; plate: string; userId: string };
let userToken: string;

beforeAll(async () => {
  world = await World.start({ name: 'fuzz', sagaWaitMs: 30_000 });
  routes = world.app.routeList.map((r) => {
    const [method, url] = r.split(' ');
    return { method: method!, url: url! };
  });
  // Real ids, so that some fuzzed requests get past the lookups.
  const lot = (await world.inject({ method: 'POST', url: '/lots', payload: { name: 'Fuzz lot', capacity: 3 } })).json();
  const product = (await world.inject({ method: 'POST', url: '/products', payload: { sku: 'FUZZ-1', name: 'Fuzz product', price: 10 } })).json();
  await world.inject({ method: 'PUT', url: `/products/${product.id}/stock`, payload: { onHand: 5 } });
  const userId = 'fuzz-user';
  userToken = world.token('user', userId);
  const plate = uniquePlate();
  await world.inject({ method: 'POST', url: '/vehicles', headers: { authorization: `Bearer ${userToken}` }, payload: { plate, ownerName: 'Fuzz' } });
  known = { lotId: lot.id, productId: product.id, plate, userId };
});
afterAll(async () => world?.close());

/** Rows per table: what a refused request must leave as it was (vendor-answer cache and worker heartbeats aside). */
async function rowCounts(db: Db): Promise<Record<string, number>> {
  const [lot, space, stay, blockedPlate, entryRecord, exitRecord, faultSwitch, product, stock, stockReservation, stockMovement, payment, order, orderLine, vehicle, reservation, user, notificationOutbox] =
    await Promise.all([
      db.lot.count(),
      db.space.count(),
      db.stay.count(),
      db.blockedPlate.count(),
      db.entryRecord.count(),
      db.exitRecord.count(),
      db.faultSwitch.count(),
      db.product.count(),
      db.stock.count(),
      db.stockReservation.count(),
      db.stockMovement.count(),
      db.payment.count(),
      db.order.count(),
      db.orderLine.count(),
      db.vehicle.count(),
      db.reservation.count(),
      db.user.count(),
      db.notificationOutbox.count(),
    ]);
  return { lot, space, stay, blockedPlate, entryRecord, exitRecord, faultSwitch, product, stock, stockReservation, stockMovement, payment, order, orderLine, vehicle, reservation, user, notificationOutbox };
}

// ---------- arbitraries ----------

const TRICKY = [
  `'; DROP TABLE "Lot"; --`,
  `' OR '1'='1`,
  `1; DELETE FROM "Space" WHERE 1=1`,
  `" OR ""="`,
  `%`,
  `_`,
  `\\`,
  `\u0000`,
  `\ud800`,
  `\udfff`,
  `a\ud83d`,
  `İstanbul`,
  `Ağrı Dağı`,
  `ß`,
  `\u202egnp.exe`,
  `\u200b`,
  `\u00a0`,
  `\r\n`,
  `👩‍👩‍👧‍👦`,
  `𝕏`,
  `null`,
  `<script>alert(1)</script>`,
  '${process.exit()}',
  `../../etc/passwd`,
  `34 ABC 123`,
];

/** Text of every kind: any code point, graphemes, SQL-looking and broken unicode, joined. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('')),
);

/** A value for a field, mostly of the wrong type. */
const fieldValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(''),
    fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, 1e308, -0),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    fc.constant('x'.repeat(300)),
  );

/** The fields each route reads, so that fuzzed bodies look like the real thing (plus stray keys). */
const FIELDS: Record<string, string[]> = {
  'POST /lots': ['name', 'capacity', 'requireGateConfirmation', 'gateTimeoutSeconds'],
  'POST /plates/blocklist': ['plate', 'reason'],
  'POST /vehicle-entries': ['lotId', 'plate', 'requestId'],
  'POST /vehicle-exits': ['lotId', 'plate', 'requestId'],
  'POST /sagas/:id/signals/:name': ['reason', 'by'],
  'POST /admin/faults': ['point', 'match', 'times', 'delayMs', 'message'],
  'POST /products': ['sku', 'name', 'price'],
  'PATCH /products/:id': ['name', 'price'],
  'PUT /products/:id/stock': ['onHand'],
  'POST /orders': ['items', 'requestId'],
  'POST /vehicles': ['plate', 'ownerName'],
  'POST /reservations': ['lotId', 'plate', 'amount', 'startsAt', 'endsAt', 'requestId'],
  'POST /reservations/:id/cancel': ['reason'],
  'POST /users/register': ['email', 'password'],
  'POST /users/login': ['email', 'password'],
  'PUT /users/me/webhook': ['url'],
  'PUT /users/:id/role': ['role'],
};

/** Plausible values too, so that some requests get deep into the routes (sagas included). */
const plausible = (field: string): fc.Arbitrary<unknown> => {
  switch (field) {
    case 'lotId':
      return fc.constantFrom(known.lotId, known.lotId, 'no-such-lot');
    case 'plate':
      return fc.oneof(fc.constantFrom(known.plate, '34ABC123', '06 ab 1234', '99X1'), fc.constant(null).map(() => uniquePlate()));
    case 'items':
      return fc.array(fc.record({ productId: fc.constantFrom(known.productId, known.productId, 'nope'), quantity: fc.oneof(fc.integer({ min: -1, max: 8 }), fieldValue()) }), { minLength: 1, maxLength: 3 });
    case 'startsAt':
    case 'endsAt':
      return fc.integer({ min: -120, max: 60 }).map((s) => new Date(Date.now() + s * 1000).toISOString());
    case 'amount':
    case 'price':
    case 'onHand':
      return fc.integer({ min: -5, max: 1000 });
    case 'capacity':
    case 'times':
    case 'delayMs':
    case 'gateTimeoutSeconds':
      return fc.integer({ min: -1, max: 5 });
    case 'requestId':
      return fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/);
    case 'point':
      // Valid fault points that no code trips: arming them changes nothing else.
      return fc.constantFrom('fuzz.point', 'a.b', 'nope');
    case 'role':
      return fc.constantFrom('user', 'operator', 'root');
    case 'email':
      return fc.constantFrom('fuzz@example.com', 'not-an-email', 'FUZZ@EXAMPLE.COM');
    case 'url':
      return fc.constantFrom('http://127.0.0.1:9/hook', 'ftp://x', 'javascript:alert(1)', null);
    default:
      return fc.oneof(text, fieldValue());
  }
};

const PARAM_VALUES = fc.oneof(
  text.filter((s) => s.length > 0).map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  fc.constantFrom('%', '%E0%A4%A', '%00', '..', '%2e%2e', 'a%2Fb', 'x'.repeat(5000), '%F0%9F%98%80', 'entry-x', 'compensate', 'gatePassed'),
  fc.constantFrom('known-lot', 'known-product', 'known-plate'),
);

function fillPath(url: string, params: string[]): string {
  let i = 0;
  return url.replace(/:[A-Za-z]+/g, () => {
    const v = params[i++] ?? 'x';
    return v === 'known-lot' ? known.lotId : v === 'known-product' ? known.productId : v === 'known-plate' ? known.plate : v;
  });
}

/** A raw body: JSON of the route's fields (wrong or plausible), any JSON, broken JSON, or huge or deeply nested. */
const body = (route: string): fc.Arbitrary<string | undefined> => {
  const fields = FIELDS[route] ?? ['x'];
  const shaped = fc
    .tuple(
      fc.oneof(fc.constant(fields), fc.subarray(fields)),
      fc.array(fc.oneof(fieldValue(), fc.constant(undefined)), { minLength: fields.length, maxLength: fields.length }),
      fc.array(fc.integer({ min: 0, max: 9 }).map((n) => n < 7), { minLength: fields.length, maxLength: fields.length }),
      fc.oneof(fc.constant({}), fc.dictionary(text, fieldValue(), { maxKeys: 2 })),
    )
    .chain(([picked, wrong, usePlausible, extra]) =>
      fc.tuple(...picked.map((f) => plausible(f))).map((plausibleValues) => {
        const out: Record<string, unknown> = { ...extra };
        picked.forEach((f, i) => (out[f] = usePlausible[i] ? plausibleValues[i] : wrong[i]));
        return JSON.stringify(out);
      }),
    );
  const allPlausible = fc.tuple(...fields.map((f) => plausible(f))).map((values) => JSON.stringify(Object.fromEntries(fields.map((f, i) => [f, values[i]]))));
  return fc.oneof(
    { weight: 4, arbitrary: allPlausible },
    { weight: 6, arbitrary: shaped },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 30 }).map((s) => `{"${s}": ${s}`) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[', 'null', '{"a":1}}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '\ufeff{}') },
    { weight: 1, arbitrary: fc.integer({ min: 65_000, max: 80_000 }).map((n) => JSON.stringify({ name: 'x'.repeat(n), capacity: 1, plate: 'x'.repeat(n) })) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
};

/** Who asks: mostly someone the route lets in (an admin, or the shopper and driver on their own routes). */
const HEADERS = (route: string) =>
  fc.record({
  auth: /orders|reservations|vehicles|users\/me/.test(route)
    ? fc.constantFrom('user', 'user', 'user', 'admin', 'device', 'none', 'garbage')
    : fc.constantFrom('admin', 'admin', 'admin', 'user', 'device', 'none', 'garbage', 'expired-ish'),
  contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'none', 'application/json; charset=latin1'),
});

function headersFor(h: { auth: string; contentType: string }, hasBody: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  if (h.auth === 'admin') headers.authorization = `Bearer ${world.token('admin', 'fuzz-admin')}`;
  if (h.auth === 'user') headers.authorization = `Bearer ${userToken}`;
  if (h.auth === 'device') headers['x-device-key'] = DEVICE_KEY;
  if (h.auth === 'garbage') headers.authorization = 'Bearer not.a.token';
  if (h.auth === 'expired-ish') headers.authorization = 'Basic YWRtaW46YWRtaW4=';
  if (hasBody && h.contentType !== 'none') headers['content-type'] = h.contentType;
  return headers;
}

const SAGA_ROUTES = new Set(['POST /vehicle-entries', 'POST /vehicle-exits', 'POST /orders', 'POST /reservations']);

describe('bad input, fuzzed', () => {
  it('every route: never a 5xx, always JSON, and a refused request changes nothing', { timeout: 300_000 }, async () => {
    const seen = new Map<string, Set<number>>();
    const request = fc.record({
      route: fc.integer({ min: 0, max: routes.length - 1 }),
      params: fc.array(PARAM_VALUES, { minLength: 2, maxLength: 2 }),
      query: fc.option(fc.dictionary(fc.constantFrom('type', 'status', 'plate', 'lotId', 'limit', 'match', 'x'), text.map((s) => s.replace(/[\ud800-\udfff]/g, 'x')), { maxKeys: 3 })),
    });
    await fc.assert(
      fc.asyncProperty(
        request.chain((r) => {
          const route = routes[r.route]!;
          return fc
            .tuple(body(`${route.method} ${route.url}`), HEADERS(route.url))
            .map(([b, headers]) => ({ ...r, headers, body: route.method === 'GET' || route.method === 'DELETE' ? undefined : b }));
        }),
        async (r) => {
          const route = routes[r.route]!;
          const name = `${route.method} ${route.url}`;
          const query = r.query ? `?${new URLSearchParams(r.query).toString()}` : '';
          const url = `${fillPath(route.url, r.params)}${query}`;
          const before = await rowCounts(world.db);
          const res = await world.app.inject({
            method: route.method as InjectOptions['method'],
            url,
            headers: headersFor(r.headers, r.body !== undefined),
            ...(r.body !== undefined && { payload: r.body }),
          });
          if (!seen.has(name)) seen.set(name, new Set());
          seen.get(name)!.add(res.statusCode);
          expect(res.statusCode, `${name} → ${url}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
          // Every answer is JSON (Prometheus' text format on /metrics aside).
          if (res.statusCode !== 204 && route.url !== '/metrics') expect(() => JSON.parse(res.body), `${name} answered non-JSON: ${res.body.slice(0, 200)}`).not.toThrow();
          // Refused: nothing stored. (A saga that ran and was refused may keep its record, e.g. a cancelled order.)
          if (res.statusCode >= 400 && !(res.statusCode === 409 && SAGA_ROUTES.has(name))) {
            expect(await rowCounts(world.db), `${name} → ${res.statusCode} changed rows`).toEqual(before);
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
    console.info(`[reliability] fuzz: statuses by route ${JSON.stringify(Object.fromEntries([...seen].map(([k, v]) => [k, [...v].sort()])))}`);
  });

  it('stored strings come back byte for byte: lot names, product names, vehicle owner names', { timeout: 180_000 }, async () => {
    // What the API keeps: names are trimmed of surrounding white space (the documented normalisation), nothing else.
    const name = text.filter((s) => s.trim().length > 0 && s.length <= 100);
    await fc.assert(
      fc.asyncProperty(name, async (s) => {
        const created = await world.inject({ method: 'POST', url: '/lots', payload: { name: s, capacity: 1 } });
        if (created.statusCode === 400) return; // refused as a whole (e.g. broken unicode): fine, nothing stored
        expect(created.statusCode, created.body).toBe(201);
        const got = (await world.inject({ method: 'GET', url: `/lots/${created.json().id}` })).json();
        expect(got.name).toBe(s.trim());
        expect(created.json().name).toBe(s.trim());
      }),
      { numRuns: 150 },
    );
    let sku = 0;
    await fc.assert(
      fc.asyncProperty(name, async (s) => {
        const created = await world.inject({ method: 'POST', url: '/products', payload: { sku: `RT-${++sku}-${Date.now()}`, name: s, price: 1 } });
        if (created.statusCode === 400) return;
        expect(created.statusCode, created.body).toBe(201);
        const got = (await world.inject({ method: 'GET', url: `/products/${created.json().id}` })).json();
        expect(got.name).toBe(s.trim());
        expect(created.json().name).toBe(s.trim());
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(name, async (s) => {
        const plate = uniquePlate();
        const headers = { authorization: `Bearer ${userToken}` };
        const created = await world.inject({ method: 'POST', url: '/vehicles', headers, payload: { plate, ownerName: s } });
        if (created.statusCode === 400) return;
        expect(created.statusCode, created.body).toBe(201);
        const got = (await world.inject({ method: 'GET', url: `/vehicles/${plate}`, headers })).json();
        expect(got.ownerName).toBe(s.trim());
      }),
      { numRuns: 150 },
    );
  });
});
