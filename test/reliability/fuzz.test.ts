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
 * - a request refused (4xx) changes nothing: the rows the API writes have the contents they
 *   had, and no saga was started or signalled (see apiState);
 * - storable names (well-formed Unicode without NUL) are accepted and come back byte for byte
 *   (lot, product and owner names); names that are not are refused, and nothing is stored.
 * A failing case prints fast-check's seed and path, to replay it.
 * The world has its own database, so other test files do not change its rows.
 */
let world: World;
let routes: Array<{ method: string; url: string }>;
let known: { lotId: string; productId: string; plate: string; userId: string };
let userToken: string;

beforeAll(async () => {
  world = await World.start({ name: 'fuzz', sagaWaitMs: 30_000 });
  // The docs page's routes serve the static Swagger UI (HTML, scripts, YAML): test/openapi.test.ts covers them.
  routes = world.app.routeList
    .map((r) => {
      const [method, url] = r.split(' ');
      return { method: method!, url: url! };
    })
    .filter((route) => !/^\/docs(\/|$)/.test(route.url));
  // Real ids, so that some fuzzed requests get past the lookups.
  const lot = (await world.inject({ method: 'POST', url: '/lots', payload: { name: 'Fuzz lot', capacity: 3, tariffPerHour: 400 } })).json();
  const product = (await world.inject({ method: 'POST', url: '/products', payload: { sku: 'FUZZ-1', name: 'Fuzz product', price: 10 } })).json();
  await world.inject({ method: 'PUT', url: `/products/${product.id}/stock`, payload: { onHand: 5 } });
  const userId = 'fuzz-user';
  userToken = world.token('user', userId);
  const plate = uniquePlate();
  await world.inject({ method: 'POST', url: '/vehicles', headers: { authorization: `Bearer ${userToken}` }, payload: { plate, ownerName: 'Fuzz' } });
  known = { lotId: lot.id, productId: product.id, plate, userId };
  recordTemporalCommands();
});
afterAll(async () => world?.close());

/** What the API asked Temporal to do, in order: every saga it started or signalled (a spy on the world's saga client). */
const temporalCommands: string[] = [];
function recordTemporalCommands(): void {
  const sagas = world.sagas;
  const start = sagas.start.bind(sagas);
  const signal = sagas.signal.bind(sagas);
  sagas.start = ((type: string, ...rest: unknown[]) => {
    temporalCommands.push(`start ${type}`);
    return (start as (...args: unknown[]) => unknown)(type, ...rest);
  }) as typeof sagas.start;
  sagas.signal = ((sagaId: string, name: string, ...rest: unknown[]) => {
    temporalCommands.push(`signal ${name} ${sagaId}`);
    return (signal as (...args: unknown[]) => unknown)(sagaId, name, ...rest);
  }) as typeof sagas.signal;
}

/**
 * What a refused request must leave as it was. The API writes some tables itself: their rows,
 * whole. Two tables it shares with the sagas: of spaces, what the API creates (the spaces of
 * each lot), not their status; of stock, what was put in (available + reserved + sold, which
 * the sagas' moves conserve), not where it sits. Every other table only sagas write, in the
 * worker, and in the background (reservations expire, gates time out, notifications go out):
 * the API reaches those through Temporal only, so its commands there are compared instead.
 */
async function apiState(db: Db) {
  const byId = { orderBy: { id: 'asc' } } as const;
  const [lots, spaces, blockedPlates, faultSwitches, products, stock, vehicles, users] = await Promise.all([
    db.lot.findMany(byId),
    db.space.groupBy({ by: ['lotId'], _count: { _all: true }, _min: { number: true }, _max: { number: true }, orderBy: { lotId: 'asc' } }),
    db.blockedPlate.findMany({ orderBy: { plate: 'asc' } }),
    db.faultSwitch.findMany(byId),
    db.product.findMany(byId),
    db.stock.findMany({ orderBy: { productId: 'asc' } }),
    db.vehicle.findMany({ orderBy: { plate: 'asc' } }),
    db.user.findMany(byId),
  ]);
  return {
    lots,
    spaces,
    blockedPlates,
    faultSwitches,
    products,
    stockPutIn: stock.map((s) => ({ productId: s.productId, putIn: s.available + s.reserved + s.sold })),
    vehicles,
    users,
    temporalCommands: [...temporalCommands],
  };
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
  'POST /lots': ['name', 'capacity', 'requireGateConfirmation', 'gateTimeoutSeconds', 'tariffPerHour'],
  'PUT /lots/:id/tariff': ['tariffPerHour'],
  'PUT /users/me/password': ['currentPassword', 'newPassword'],
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
  'POST /reservations': ['lotId', 'plate', 'startsAt', 'endsAt', 'requestId'],
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
    case 'tariffPerHour':
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
          const before = await apiState(world.db);
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
          // Refused: nothing stored, no saga started or signalled. (A saga that ran and was refused
          // may keep its record, e.g. a cancelled order: a 409 of a saga route.)
          if (res.statusCode >= 400 && !(res.statusCode === 409 && SAGA_ROUTES.has(name))) {
            expect(await apiState(world.db), `${name} → ${url} → ${res.statusCode} changed something: ${res.body.slice(0, 300)}`).toEqual(before);
          }
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 1000) },
    );
    console.info(`[reliability] fuzz: statuses by route ${JSON.stringify(Object.fromEntries([...seen].map(([k, v]) => [k, [...v].sort()])))}`);
  });

  it('storable names are accepted and come back byte for byte; names that are not storable are refused and leave nothing', { timeout: 300_000 }, async () => {
    // The documented rules (api/plugins/well-formed-text.ts, the routes' schemas): text must be
    // well-formed Unicode without NUL; names are trimmed of surrounding white space, nothing else.
    const NOT_STORABLE = /[\p{Cs}\u0000]/u;
    const storable = text.filter((s) => s.trim().length > 0 && s.length <= 100 && !NOT_STORABLE.test(s));
    // A storable name with a lone surrogate or a NUL put in somewhere (the filter drops the rare
    // insertion that completes a surrogate pair instead of breaking one).
    const unstorable = fc
      .tuple(storable, fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'), fc.nat())
      .map(([s, bad, at]) => s.slice(0, at % (s.length + 1)) + bad + s.slice(at % (s.length + 1)))
      .filter((s) => NOT_STORABLE.test(s));

    const user = { authorization: `Bearer ${userToken}` };
    let sku = 0;
    const kinds = [
      {
        what: 'lot name',
        field: 'name',
        create: (s: string) => world.inject({ method: 'POST', url: '/lots', payload: { name: s, capacity: 1 } }),
        read: async (created: { id: string }) => (await world.inject({ method: 'GET', url: `/lots/${created.id}` })).json().name,
        rows: () => world.db.lot.findMany({ orderBy: { id: 'asc' } }),
      },
      {
        what: 'product name',
        field: 'name',
        create: (s: string) => world.inject({ method: 'POST', url: '/products', payload: { sku: `RT-${++sku}-${Date.now()}`, name: s, price: 1 } }),
        read: async (created: { id: string }) => (await world.inject({ method: 'GET', url: `/products/${created.id}` })).json().name,
        rows: () => world.db.product.findMany({ orderBy: { id: 'asc' } }),
      },
      {
        what: 'vehicle owner name',
        field: 'ownerName',
        create: (s: string) => world.inject({ method: 'POST', url: '/vehicles', headers: user, payload: { plate: uniquePlate(), ownerName: s } }),
        read: async (created: { plate: string }) => (await world.inject({ method: 'GET', url: `/vehicles/${created.plate}`, headers: user })).json().ownerName,
        rows: () => world.db.vehicle.findMany({ orderBy: { plate: 'asc' } }),
      },
    ];
    for (const kind of kinds) {
      await fc.assert(
        fc.asyncProperty(storable, async (s) => {
          const created = await kind.create(s);
          expect(created.statusCode, `${kind.what} ${JSON.stringify(s)}: ${created.body}`).toBe(201);
          expect(created.json()[kind.field]).toBe(s.trim());
          expect(await kind.read(created.json())).toBe(s.trim());
        }),
        { numRuns: 150 },
      );
      await fc.assert(
        fc.asyncProperty(unstorable, async (s) => {
          const before = await kind.rows();
          const created = await kind.create(s);
          expect(created.statusCode, `${kind.what} ${JSON.stringify(s)}: ${created.body}`).toBe(400);
          expect(await kind.rows()).toEqual(before);
        }),
        { numRuns: 50 },
      );
    }
  });
});
