import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_KEY, useStack, createLot, lotCounts, uniquePlate } from './support/stack';

// Issue 13 part 2, "find things": the caller's vehicles, the operators' searches over reservations
// and vehicles (keyset-paged), and blocking a vehicle. Everything goes through the API on the real
// stack; rows are seeded through the domains or the database, each test in its own lot or owner.

const stack = useStack({ waitMs: 30_000 });

type Headers = Record<string, string>;
const uid = (prefix = '') => `${prefix}${randomUUID()}`;
const as = (role: 'user' | 'operator' | 'admin', sub = uid(`${role}-`)): Headers => ({
  authorization: `Bearer ${stack.token(role, sub, `${sub}@test.example`)}`,
});
const OPERATOR = () => as('operator');
const minutes = (n: number) => new Date(Date.now() + n * 60_000);
const get = (url: string, headers: Headers = OPERATOR()) => stack.app.inject({ method: 'GET', url, headers });

async function registerVehicle(headers: Headers, plate = uniquePlate()) {
  const res = await stack.app.inject({ method: 'POST', url: '/vehicles', headers, payload: { plate, ownerName: 'Ayşe Yılmaz' } });
  expect(res.statusCode, res.body).toBe(201);
  return plate;
}

/** A reservation row as seeding needs it: the domain checks nothing here, the search reads what is stored. */
function reservationRow(lotId: string, over: Record<string, unknown> = {}) {
  return { key: uid('seed-'), userId: uid('u-'), lotId, plate: uniquePlate(), amount: 400, startsAt: minutes(10), endsAt: minutes(70), ...over };
}

/** Follows nextCursor to the end; returns every page's ids (in order) and how many pages. */
async function pageAll(url: string, name: 'reservations' | 'vehicles', key: 'id' | 'plate', between?: () => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await get(`${url}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    ids.push(...body[name].map((row: Record<string, string>) => row[key]));
    cursor = body.nextCursor;
    pages++;
    if (between) await between();
  } while (cursor);
  return { ids, pages };
}

const fieldsOf = (res: { json(): { fields?: Array<{ field: string }> } }) => (res.json().fields ?? []).map((f) => f.field);

describe('GET /vehicles: the caller\'s own', () => {
  it('lists only the caller\'s vehicles, newest first, in bounded pages, whatever the role', async () => {
    const me = uid('me-');
    const mine = as('user', me);
    const plates = [];
    for (let i = 0; i < 5; i++) plates.push(await registerVehicle(mine));
    const theirs = await registerVehicle(as('user'));

    const first = await get('/vehicles?limit=2', mine);
    expect(first.statusCode).toBe(200);
    expect(first.json().vehicles.map((v: { plate: string }) => v.plate)).toEqual([plates[4], plates[3]]);
    expect(first.json().vehicles[0]).toMatchObject({ plate: plates[4], ownerUserId: me, blocked: false, ownerName: 'Ayşe Yılmaz' });

    const all = [];
    let cursor: string | null = null;
    do {
      const body: { vehicles: Array<{ plate: string }>; nextCursor: string | null } = (await get(`/vehicles?limit=2${cursor ? `&cursor=${cursor}` : ''}`, mine)).json();
      expect(body.vehicles.length).toBeLessThanOrEqual(2);
      all.push(...body.vehicles.map((v) => v.plate));
      cursor = body.nextCursor;
    } while (cursor);
    expect(all).toEqual([...plates].reverse());
    expect(all).not.toContain(theirs);

    // An admin's own list is its own too: the searches are elsewhere.
    const admin = (await get('/vehicles?limit=100', as('admin'))).json().vehicles.map((v: { plate: string }) => v.plate);
    expect(admin).not.toContain(theirs);
    expect(admin).not.toContain(plates[0]);
    // A limit over 100 is refused, not obeyed.
    expect((await get('/vehicles?limit=101', mine)).statusCode).toBe(400);
  });

  it('needs a token', async () => {
    expect((await get('/vehicles', { authorization: '' })).statusCode).toBe(401);
  });
});

describe('searches are for operators and admins', () => {
  it.each(['/reservations/search', '/vehicles/search'])('%s: 401 without a token, 403 for a user, 200 for operator and admin', async (url) => {
    expect((await get(url, { authorization: '' })).statusCode).toBe(401);
    expect((await get(url, as('user'))).statusCode).toBe(403);
    expect((await get(`${url}?limit=1`, as('operator'))).statusCode).toBe(200);
    expect((await get(`${url}?limit=1`, as('admin'))).statusCode).toBe(200);
  });
});

describe('GET /reservations/search', () => {
  it('filters by lot, plate, user, status and period overlap, across users', async () => {
    const lotId = uid('lot-');
    const at = (h: number) => new Date(Date.UTC(2031, 0, 1, h));
    const a = reservationRow(lotId, { startsAt: at(8), endsAt: at(10), status: 'COMPLETED' });
    const b = reservationRow(lotId, { startsAt: at(10), endsAt: at(12), status: 'CANCELLED' }); // starts where a ends
    const c = reservationRow(lotId, { startsAt: at(11), endsAt: at(15), status: 'COMPLETED', plate: a.plate, userId: a.userId });
    const other = reservationRow(uid('lot-'), { plate: a.plate });
    const rows = await Promise.all([a, b, c, other].map((data) => stack.db.reservation.create({ data })));
    const [idA, idB, idC] = rows.map((r) => r.id);
    const ids = async (query: string) => {
      const res = await get(`/reservations/search?lotId=${lotId}&${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().reservations.map((r: { id: string }) => r.id).sort();
    };
    const sorted = (...xs: Array<string | undefined>) => [...xs].sort();

    expect(await ids('')).toEqual(sorted(idA, idB, idC));
    // The plate as people type it: lower case, spaces.
    expect(await ids(`plate=${encodeURIComponent(a.plate.toLowerCase().replace(/^(\d\d)/, '$1 '))}`)).toEqual(sorted(idA, idC));
    expect(await ids(`status=COMPLETED`)).toEqual(sorted(idA, idC));
    expect(await ids(`userId=${b.userId}`)).toEqual([idB]);
    // Overlap of [from, to) with [startsAt, endsAt): ends at `from` or starts at `to` is outside.
    expect(await ids(`from=${at(10).toISOString()}&to=${at(11).toISOString()}`)).toEqual([idB]);
    expect(await ids(`from=${at(9).toISOString()}&to=${at(11).toISOString()}`)).toEqual(sorted(idA, idB));
    expect(await ids(`from=${at(12).toISOString()}`)).toEqual([idC]);
    expect(await ids(`to=${at(10).toISOString()}`)).toEqual([idA]);
    // Any offset: 13:00+03:00 is 10:00Z.
    expect(await ids(`to=${encodeURIComponent('2031-01-01T13:00:00+03:00')}`)).toEqual([idA]);
    expect(await ids(`status=USED`)).toEqual([]);
    // The answer is the stored reservation.
    const one = (await get(`/reservations/search?lotId=${lotId}&userId=${b.userId}`)).json();
    expect(one).toMatchObject({ nextCursor: null, reservations: [{ id: idB, lotId, plate: b.plate, status: 'CANCELLED', userId: b.userId }] });
  });
});

describe('GET /vehicles/search', () => {
  it('finds vehicles by plate prefix, owner id and owner email', async () => {
    const owner = await stack.domains.users.registerUser({ email: `${uid('owner-')}@test.example`, password: 'correct horse' });
    const headers = as('user', owner.id);
    // One province and a random 3-letter run keep the prefix to this test's plates.
    const prefix = `${uniquePlate(3).slice(0, 5)}`;
    const p1 = await registerVehicle(headers, `${prefix}123`);
    const p2 = await registerVehicle(headers, `${prefix}567`);
    const p3 = await registerVehicle(as('user'), `${prefix}901`);
    const plates = async (query: string) => {
      const res = await get(`/vehicles/search?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().vehicles.map((v: { plate: string }) => v.plate).sort();
    };

    // Typed as people type it: lower case, a space after the province.
    expect(await plates(`platePrefix=${encodeURIComponent(`${prefix.slice(0, 2)} ${prefix.slice(2).toLowerCase()}`)}`)).toEqual([p1, p2, p3].sort());
    expect(await plates(`ownerId=${owner.id}`)).toEqual([p1, p2].sort());
    expect(await plates(`ownerEmail=${encodeURIComponent(owner.email.toUpperCase())}`)).toEqual([p1, p2].sort());
    expect(await plates(`ownerEmail=${encodeURIComponent(owner.email)}&platePrefix=${prefix}5`)).toEqual([p2]);
    expect(await plates(`ownerEmail=nobody-${randomUUID()}@test.example`)).toEqual([]);
    expect(await plates(`ownerEmail=${encodeURIComponent(owner.email)}&ownerId=${uid('other-')}`)).toEqual([]);
  });
});

describe('bad input → 400 naming the field', () => {
  let realCursor = '';
  let vehicleCursor = '';
  beforeAll(async () => {
    const lotId = uid('lot-');
    await stack.db.reservation.createMany({ data: [reservationRow(lotId), reservationRow(lotId)] });
    realCursor = (await get(`/reservations/search?lotId=${lotId}&limit=1`)).json().nextCursor;
    const owner = uid('owner-');
    await stack.domains.reservations.registerVehicle({ plate: uniquePlate(), ownerName: 'A', ownerUserId: owner });
    await stack.domains.reservations.registerVehicle({ plate: uniquePlate(), ownerName: 'A', ownerUserId: owner });
    vehicleCursor = (await get(`/vehicles/search?ownerId=${owner}&limit=1`)).json().nextCursor;
    expect(realCursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(vehicleCursor).toBeTruthy();
  });

  /** The cursor with its JSON position edited (a day earlier) and re-encoded: well-formed, but not ours. */
  const edited = (cursor: string) => {
    const [body, mac] = cursor.split('.') as [string, string];
    const position = JSON.parse(Buffer.from(body, 'base64url').toString());
    position.t = new Date(Date.parse(position.t) - 86_400_000).toISOString();
    return `${Buffer.from(JSON.stringify(position)).toString('base64url')}.${mac}`;
  };
  const flipped = (cursor: string) => cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6);

  const cases: Array<[string, () => string, string]> = [
    ['limit 0', () => '/reservations/search?limit=0', 'limit'],
    ['limit over 100', () => '/reservations/search?limit=101', 'limit'],
    ['limit not a number', () => '/vehicles/search?limit=ten', 'limit'],
    ['unknown status', () => '/reservations/search?status=DONE', 'status'],
    ['bad plate', () => "/reservations/search?plate=34'OR'1", 'plate'],
    ['bad lot id', () => '/reservations/search?lotId=a%20b', 'lotId'],
    ['from not a date', () => '/reservations/search?from=yesterday', 'from'],
    ['to before from', () => '/reservations/search?from=2031-01-02T00:00:00Z&to=2031-01-01T00:00:00Z', 'to'],
    ['plate prefix with a wildcard', () => '/vehicles/search?platePrefix=34%25', 'platePrefix'],
    ['owner email not an email', () => '/vehicles/search?ownerEmail=nope', 'ownerEmail'],
    ['garbage cursor', () => '/reservations/search?cursor=not-a-cursor', 'cursor'],
    ['huge cursor', () => `/reservations/search?cursor=${'A'.repeat(5000)}`, 'cursor'],
    ['cursor with one character changed', () => `/reservations/search?cursor=${flipped(realCursor)}`, 'cursor'],
    ['cursor with its position edited and re-encoded', () => `/reservations/search?cursor=${edited(realCursor)}`, 'cursor'],
    ['cursor of other filters', () => `/reservations/search?lotId=${uid('lot-')}&cursor=${realCursor}`, 'cursor'],
    ['cursor of another listing', () => `/reservations/search?cursor=${vehicleCursor}`, 'cursor'],
    ['cursor of the operators\' search on the own list', () => `/vehicles?cursor=${vehicleCursor}`, 'cursor'],
  ];
  it.each(cases)('%s', async (_name, url, field) => {
    const res = await get(url());
    expect(res.statusCode, res.body).toBe(400);
    expect(fieldsOf(res)).toContain(field);
  });
});

describe('pagination while rows are being added', () => {
  it('reservations: every row there at the start once, nothing twice, new rows maybe', async () => {
    const lotId = uid('lot-');
    // Ties on createdAt (several rows in one millisecond happen under load): groups of 4 share one.
    const base = Date.now() - 60_000;
    const seeded = Array.from({ length: 24 }, (_, i) => reservationRow(lotId, { createdAt: new Date(base + Math.floor(i / 4) * 1000) }));
    await stack.db.reservation.createMany({ data: seeded });
    const atStart = (await stack.db.reservation.findMany({ where: { lotId }, select: { id: true } })).map((r) => r.id);
    expect(atStart).toHaveLength(24);

    // Another task keeps adding rows to the same lot: new ones (now), and ones landing amid the
    // seeded times (another process's clock), until paging is done.
    const added: string[] = [];
    let paging = true;
    const adder = (async () => {
      for (let i = 0; paging; i++) {
        const createdAt = i % 2 === 0 ? new Date() : new Date(base + (i % 6) * 1000);
        added.push((await stack.db.reservation.create({ data: reservationRow(lotId, { createdAt }) })).id);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // At least one insert between any two pages, so that every page is read with new rows in place.
    const waitForInsert = async () => {
      const seen = added.length;
      while (added.length === seen) await new Promise((r) => setTimeout(r, 2));
    };
    const { ids, pages } = await pageAll(`/reservations/search?lotId=${lotId}&limit=5`, 'reservations', 'id', waitForInsert);
    paging = false;
    await adder;

    expect(pages).toBeGreaterThanOrEqual(5);
    expect(added.length).toBeGreaterThanOrEqual(pages);
    expect(new Set(ids).size).toBe(ids.length); // nothing twice
    expect(atStart.filter((id) => !ids.includes(id))).toEqual([]); // nothing there at the start missing
    expect(ids.filter((id) => !atStart.includes(id) && !added.includes(id))).toEqual([]); // nothing made up
  });

  it('vehicles: the same for an owner\'s vehicles (the own list and the search)', async () => {
    const owner = uid('owner-');
    const base = Date.now() - 60_000;
    const seeded = Array.from({ length: 12 }, (_, i) => ({ plate: uniquePlate(), ownerName: 'A', ownerUserId: owner, createdAt: new Date(base + Math.floor(i / 3) * 1000) }));
    await stack.db.vehicle.createMany({ data: seeded });
    const atStart = seeded.map((v) => v.plate);

    const added: string[] = [];
    let paging = true;
    const adder = (async () => {
      for (let i = 0; paging; i++) {
        const v = await stack.domains.reservations.registerVehicle({ plate: uniquePlate(), ownerName: 'A', ownerUserId: owner });
        added.push(v.plate);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const waitForInsert = async () => {
      const seen = added.length;
      while (added.length === seen) await new Promise((r) => setTimeout(r, 2));
    };
    const search = await pageAll(`/vehicles/search?ownerId=${owner}&limit=3`, 'vehicles', 'plate', waitForInsert);
    const own: string[] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const body: { vehicles: Array<{ plate: string }>; nextCursor: string | null } = (await get(`/vehicles?limit=3${cursor ? `&cursor=${cursor}` : ''}`, as('user', owner))).json();
      own.push(...body.vehicles.map((v) => v.plate));
      cursor = body.nextCursor;
      await waitForInsert();
    }
    paging = false;
    await adder;

    for (const ids of [search.ids, own]) {
      expect(new Set(ids).size).toBe(ids.length);
      expect(atStart.filter((p) => !ids.includes(p))).toEqual([]);
      expect(ids.filter((p) => !atStart.includes(p) && !added.includes(p))).toEqual([]);
    }
  });
});

describe('blocking a vehicle', () => {
  const book = (headers: Headers, lotId: string, plate: string) =>
    stack.app.inject({
      method: 'POST',
      url: '/reservations',
      headers,
      payload: { lotId, plate, startsAt: minutes(-1).toISOString(), endsAt: minutes(60).toISOString() },
    });
  const enter = (lotId: string, plate: string) =>
    stack.app.inject({ method: 'POST', url: '/vehicle-entries', headers: { 'x-device-key': DEVICE_KEY }, payload: { lotId, plate } });
  const reservationsOf = (plate: string) => stack.db.reservation.count({ where: { plate } });

  it('the plate blocklist already refuses a booking at the saga\'s first step, changing nothing', async () => {
    const headers = as('user');
    const plate = await registerVehicle(headers);
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 400 });
    expect((await stack.app.inject({ method: 'POST', url: '/plates/blocklist', payload: { plate, reason: 'stolen' } })).statusCode).toBe(201);
    const res = await book(headers, lot.id, plate);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ status: 'REJECTED', reason: 'PLATE_BLOCKED' });
    expect(await reservationsOf(plate)).toBe(0);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 0, occupied: 0 });
    await stack.domains.plates.unblockPlate(plate);
  });

  it('the vehicle flag alone refuses it too (createReservation checks it)', async () => {
    const headers = as('user');
    const plate = await registerVehicle(headers);
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 400 });
    await stack.domains.reservations.setVehicleBlocked(plate, true);
    const res = await book(headers, lot.id, plate);
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json()).toMatchObject({ reason: 'PLATE_BLOCKED' });
    expect(await reservationsOf(plate)).toBe(0);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 0 });
  });

  it('POST /vehicles/:plate/block: no booking, no entry; DELETE: both again', async () => {
    const headers = as('user');
    const plate = await registerVehicle(headers);
    const lot = await createLot(stack, { capacity: 2, tariffPerHour: 400 });

    const blocked = await stack.app.inject({ method: 'POST', url: `/vehicles/${plate.toLowerCase()}/block`, payload: { reason: 'unpaid fines' } });
    expect(blocked.statusCode, blocked.body).toBe(200);
    expect(blocked.json()).toMatchObject({ plate, blocked: true });
    expect((await get('/vehicles', headers)).json().vehicles).toMatchObject([{ plate, blocked: true }]);
    expect(await stack.db.blockedPlate.findUnique({ where: { plate } })).toMatchObject({ reason: 'unpaid fines' });

    const refused = await book(headers, lot.id, plate);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({ reason: 'PLATE_BLOCKED' });
    expect(await reservationsOf(plate)).toBe(0);
    const gate = await enter(lot.id, plate);
    expect(gate.statusCode, gate.body).toBe(409);
    expect(gate.json()).toMatchObject({ status: 'REJECTED', reason: 'PLATE_BLOCKED' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 2, reserved: 0, occupied: 0 });

    const unblocked = await stack.app.inject({ method: 'DELETE', url: `/vehicles/${plate}/block` });
    expect(unblocked.statusCode, unblocked.body).toBe(200);
    expect(unblocked.json()).toMatchObject({ plate, blocked: false });
    expect(await stack.db.blockedPlate.findUnique({ where: { plate } })).toBeNull();
    const booked = await book(headers, lot.id, plate);
    expect(booked.statusCode, booked.body).toBe(201);
    const entry = await enter(lot.id, plate);
    expect(entry.statusCode, entry.body).toBe(201);
    expect(entry.json().spaceId).toBe(booked.json().spaceId);
  });

  it('is for admins, for registered vehicles, with a reason', async () => {
    const plate = await registerVehicle(as('user'));
    const block = (url: string, headers: Headers = as('admin'), payload: object = { reason: 'x' }) =>
      stack.app.inject({ method: 'POST', url, headers, payload });
    expect((await block(`/vehicles/${plate}/block`, as('operator'))).statusCode).toBe(403);
    expect((await block(`/vehicles/${plate}/block`, as('user'))).statusCode).toBe(403);
    expect((await stack.app.inject({ method: 'DELETE', url: `/vehicles/${plate}/block`, headers: as('operator') })).statusCode).toBe(403);
    expect((await block(`/vehicles/${uniquePlate()}/block`)).statusCode).toBe(404);
    expect((await stack.app.inject({ method: 'DELETE', url: `/vehicles/${uniquePlate()}/block` })).statusCode).toBe(404);
    const bad = await block('/vehicles/not-a-plate/block');
    expect(bad.statusCode).toBe(400);
    expect(fieldsOf(bad)).toContain('plate');
    const noReason = await block(`/vehicles/${plate}/block`, as('admin'), {});
    expect(noReason.statusCode).toBe(400);
    expect(fieldsOf(noReason)).toContain('reason');
    expect(await stack.db.vehicle.findUnique({ where: { plate } })).toMatchObject({ blocked: false });
    expect(await stack.db.blockedPlate.findUnique({ where: { plate } })).toBeNull();
  });
});
