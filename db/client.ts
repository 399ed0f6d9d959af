import { PrismaClient } from '@prisma/client';
import type { PrismaClient as PostgresPrismaClient } from './generated/postgres';
import { SqliteAdapterFactory } from './sqlite-adapter';
import { postgresAdapter } from './postgres-adapter';
import { countStatementsTo } from './statement-count';
import { databaseKind } from './url';

/**
 * The database client type the code is written against: the client generated from
 * prisma/schema.prisma (SQLite). The PostgreSQL client (generated from
 * prisma/postgres/schema.prisma, the same models) is handed out under this type too:
 * see createDb.
 */
export type Db = PrismaClient;

/**
 * Creates a Prisma client on the driver adapter that matches the URL.
 *
 * - file: (SQLite, the embedded default) runs in WAL mode with a busy timeout on every
 *   connection, so that the API and the workers can write to one file at once.
 * - postgres:// or postgresql:// runs on node-postgres (@prisma/adapter-pg) with the client
 *   generated for PostgreSQL; no SQLite pragma is sent there.
 *
 * A generated Prisma client is bound to its schema's provider, so each database has its own
 * client; both come from one schema and have the same model API. They differ only where
 * PostgreSQL offers more (string filter `mode`, `skipDuplicates`, more isolation levels), so
 * the SQLite type is the common ground: code that type-checks against it runs on both. The
 * cast below is the one place that relies on it; PostgresClientMatches below checks it at compile time.
 */
export async function createDb(url: string, options: { statementCountFile?: string } = {}): Promise<Db> {
  // Query events only when asked for (the benchmark's statement count): they cost a little per statement.
  const log = options.statementCountFile ? [{ emit: 'event' as const, level: 'query' as const }] : [];
  const count = options.statementCountFile ? countStatementsTo(options.statementCountFile) : undefined;
  if (databaseKind(url) === 'postgres') {
    // Loaded only when used: a SQLite-only setup needs no PostgreSQL client on disk to run.
    const { PrismaClient: PostgresClient } = await import('./generated/postgres');
    const db = new PostgresClient({ adapter: postgresAdapter(url), log });
    if (count) db.$on('query', count);
    return db as PostgresPrismaClient as unknown as Db;
  }
  const db = new PrismaClient({ adapter: new SqliteAdapterFactory({ url }), log });
  if (count) db.$on('query', count);
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL'); // persistent: stored in the file
  return db;
}

/** Answers whether the database takes a query. */
export async function pingDb(db: Db): Promise<void> {
  await db.$queryRawUnsafe('SELECT 1');
}

/**
 * Compile-time proof behind the cast in createDb: for every model of the SQLite client, the
 * PostgreSQL client has the same delegate, every method of it, and accepts the arguments the
 * SQLite client accepts. A model or method missing, or an argument PostgreSQL would refuse,
 * names itself in a type error.
 */
type ModelKey<T> = { [K in keyof T]: K extends `$${string}` | symbol ? never : K }[keyof T];
type ArgsOf<F> = F extends (args: infer A) => unknown ? A : never;
type PostgresMismatch = {
  [K in ModelKey<Db>]: K extends keyof PostgresPrismaClient
    ? {
        [M in keyof Db[K]]: M extends keyof PostgresPrismaClient[K]
          ? ArgsOf<Db[K][M]> extends ArgsOf<PostgresPrismaClient[K][M]>
            ? never
            : `${K & string}.${M & string}`
          : `${K & string}.${M & string}`;
      }[keyof Db[K]]
    : K;
}[ModelKey<Db>];
type ExpectNone<T extends never> = T;
/**
 * A type error here names what differs, e.g. `Type '"lot"' does not satisfy the constraint 'never'`.
 * After a schema edit that usually means prisma/postgres/ is stale: run `npm run db:migrations`
 * (then scripts/setup.sh, or `npm run db:generate`, regenerates both clients).
 */
export type PostgresClientMatches = ExpectNone<PostgresMismatch>;
