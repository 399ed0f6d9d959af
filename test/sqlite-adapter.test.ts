import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../db/client';

/**
 * The SQLite adapter (db/sqlite-adapter.ts) on a SQLite file of its own: two clients stand for
 * two processes writing one file. Raw SQL on a scratch table, so that no migration is needed.
 */
describe('SQLite adapter', () => {
  let dir: string;
  let a: Db;
  let b: Db;
  const keys = async (db: Db) => ((await db.$queryRawUnsafe('SELECT key FROM scratch ORDER BY key')) as Array<{ key: string }>).map((r) => r.key);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-adapter-'));
    const url = `file:${join(dir, 'db.sqlite')}`;
    a = await createDb(url);
    b = await createDb(url);
    await a.$executeRawUnsafe('CREATE TABLE scratch (key TEXT PRIMARY KEY, value TEXT)');
  });
  afterAll(async () => {
    await a?.$disconnect();
    await b?.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a transaction on the connection it keeps, which then serves the next statement', async () => {
    // A temporary table lives on one connection only: it is still there after the transaction.
    await a.$executeRawUnsafe('CREATE TEMP TABLE mine (n INTEGER)');
    await a.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('INSERT INTO mine VALUES (1)');
      await tx.$executeRawUnsafe(`INSERT INTO scratch VALUES ('kept', '1')`);
    });
    expect(await a.$queryRawUnsafe('SELECT n FROM mine')).toEqual([{ n: 1 }]);
    expect(await keys(b)).toContain('kept');
  });

  it('rolls a failed transaction back whole, and leaves the file writable for everyone', async () => {
    await a.$executeRawUnsafe(`INSERT INTO scratch VALUES ('taken', '1')`);
    const failed = a.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`INSERT INTO scratch VALUES ('half', '1')`);
      await tx.$executeRawUnsafe(`INSERT INTO scratch VALUES ('taken', '2')`); // a unique violation
    });
    await expect(failed).rejects.toThrow(/UNIQUE constraint failed/);
    expect(await keys(a)).not.toContain('half');
    await b.$executeRawUnsafe(`INSERT INTO scratch VALUES ('by-b', '1')`);
    await a.$transaction(async (tx) => tx.$executeRawUnsafe(`INSERT INTO scratch VALUES ('by-a', '1')`));
    expect(await keys(b)).toEqual(expect.arrayContaining(['by-a', 'by-b', 'taken']));
  });

  it('a transaction waits while another process holds the write lock, then commits after it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const first = b.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`INSERT INTO scratch VALUES ('first', '1')`);
        entered();
        await held;
        order.push('first');
      },
      { timeout: 30_000 },
    );
    await holding;
    let secondDone = false;
    const second = a
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`INSERT INTO scratch VALUES ('second', '1')`);
        order.push('second');
      })
      .then(() => (secondDone = true));
    // Whenever the second one tries, it cannot begin while the first holds the lock.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(await keys(a)).toEqual(expect.arrayContaining(['first', 'second']));
  });
});
