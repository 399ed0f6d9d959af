import { PrismaClient } from '@prisma/client';
import { SqliteAdapterFactory } from './sqlite-adapter';

export type Db = PrismaClient;

/**
 * Creates a Prisma client on the driver adapter that matches the URL.
 * SQLite (file:) is the embedded default; it runs in WAL mode with a busy timeout
 * on every connection, so that the API and the workers can write to one file at once.
 */
export async function createDb(url: string): Promise<Db> {
  if (!url.startsWith('file:')) {
    throw new Error(`DATABASE_URL: unsupported database URL scheme in "${url.split(':')[0]}:"`);
  }
  const db = new PrismaClient({ adapter: new SqliteAdapterFactory({ url }) });
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL'); // persistent: stored in the file
  return db;
}

/** Answers whether the database takes a query. */
export async function pingDb(db: Db): Promise<void> {
  await db.$queryRawUnsafe('SELECT 1');
}
