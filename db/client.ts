import { PrismaClient } from '@prisma/client';
import { PrismaLibSQL } from '@prisma/adapter-libsql';

export type Db = PrismaClient;

/**
 * Creates a Prisma client on the driver adapter that matches the URL.
 * SQLite (file:) is the embedded default; it runs in WAL mode with a busy timeout
 * so that the API and the workers can write to the same file at once.
 */
export async function createDb(url: string): Promise<Db> {
  if (!url.startsWith('file:')) {
    throw new Error(`DATABASE_URL: unsupported database URL scheme in "${url.split(':')[0]}:"`);
  }
  const db = new PrismaClient({ adapter: new PrismaLibSQL({ url }) });
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 5000');
  await db.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  return db;
}

/** Answers whether the database takes a query. */
export async function pingDb(db: Db): Promise<void> {
  await db.$queryRawUnsafe('SELECT 1');
}
