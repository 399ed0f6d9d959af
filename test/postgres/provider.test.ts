import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDb, pingDb, type Db } from '../../db/client';
import { databaseKind } from '../../db/url';
import { isUniqueViolation } from '../../domains/errors';

/**
 * What the domains rely on from the database, checked on the database of the run: SQLite in
 * the first run of scripts/test.sh, PostgreSQL (TEST_DATABASE_URL) in the second.
 */
const url = inject('stack').databaseUrl;
const kind = databaseKind(url);

describe(`the database of this run (${kind})`, () => {
  let db: Db;
  beforeAll(async () => {
    db = await createDb(url);
  });
  afterAll(async () => {
    await db?.$disconnect();
  });

  it('is the database the URL names, on the driver made for it', async () => {
    await pingDb(db);
    if (kind === 'postgres') {
      const [row] = await db.$queryRawUnsafe<Array<{ version: string }>>('SELECT version() AS version');
      expect(row?.version).toMatch(/^PostgreSQL/);
    } else {
      // The SQLite-only setting createDb makes (and never sends to PostgreSQL).
      const [row] = await db.$queryRawUnsafe<Array<{ journal_mode: string }>>('PRAGMA journal_mode');
      expect(row?.journal_mode).toBe('wal');
    }
  });

  it.skipIf(kind !== 'postgres')('reads catalog columns of type name (db/postgres-adapter.ts: the migrations read them)', async () => {
    const [row] = await db.$queryRawUnsafe<Array<{ db: string; schema: string }>>('SELECT current_database() AS db, current_schema() AS schema');
    expect(row).toEqual({ db: new URL(url).pathname.slice(1), schema: 'public' });
  });

  it('reports a unique violation as P2002 naming the field (domains/errors.ts isUniqueViolation)', async () => {
    const plate = `U${randomUUID().slice(0, 8)}`;
    await db.blockedPlate.create({ data: { plate, reason: 'test' } });
    const err = await db.blockedPlate.create({ data: { plate, reason: 'again' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'P2002' });
    expect(isUniqueViolation(err, 'plate')).toBe(true);
    expect(isUniqueViolation(err, 'no_such_field')).toBe(false);
  });

  it('reports a guarded update that matches nothing as P2025', async () => {
    const err = await db.blockedPlate.update({ where: { plate: `missing-${randomUUID()}` }, data: { reason: 'x' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'P2025' });
  });

  it('rolls an interactive transaction back when it throws, and commits a batch', async () => {
    const plate = `T${randomUUID().slice(0, 8)}`;
    await expect(
      db.$transaction(async (tx) => {
        await tx.blockedPlate.create({ data: { plate, reason: 'inside' } });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect(await db.blockedPlate.findUnique({ where: { plate } })).toBeNull();
    await db.$transaction([db.blockedPlate.create({ data: { plate, reason: 'batch' } })]);
    expect(await db.blockedPlate.findUnique({ where: { plate } })).toMatchObject({ reason: 'batch' });
  });

  it('keeps DateTime values to the millisecond, as UTC instants', async () => {
    const key = randomUUID();
    const at = new Date('2026-03-29T01:30:00.123Z'); // a DST change night in Europe: no local-time shifts
    await db.cachedResponse.create({ data: { key, value: 'v', storedAt: at } });
    const row = await db.cachedResponse.findUniqueOrThrow({ where: { key } });
    expect(row.storedAt.toISOString()).toBe(at.toISOString());
    const found = await db.cachedResponse.findMany({ where: { key, storedAt: { gte: at, lte: at } } });
    expect(found).toHaveLength(1);
  });

  it('handles text that SQL would choke on, when passed as data', async () => {
    const key = randomUUID();
    const value = `it's "quoted" \\ ; DROP TABLE "Lot"; -- ğüşıöç 🚗`;
    await db.cachedResponse.create({ data: { key, value, storedAt: new Date() } });
    expect((await db.cachedResponse.findUniqueOrThrow({ where: { key } })).value).toBe(value);
  });
});

describe('createDb', () => {
  it('refuses a URL of another database, naming DATABASE_URL', async () => {
    await expect(createDb('mysql://u:p@127.0.0.1/db')).rejects.toThrow(/DATABASE_URL: unsupported database URL scheme in "mysql:"/);
  });

  it('refuses a PostgreSQL ?schema= other than public rather than ignoring it', async () => {
    await expect(createDb('postgres://u:p@127.0.0.1:1/db?schema=other')).rejects.toThrow(/DATABASE_URL: \?schema=other is not supported/);
  });
});
