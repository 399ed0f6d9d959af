import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/**
 * Types of the system catalogs that @prisma/adapter-pg 6.19 does not map, and that node-postgres
 * hands over as strings: "char" (18), name (19), int2vector (22), regproc (24), oidvector (30),
 * pg_node_tree (194), the reg* types (2202-2206). Reported as text (25).
 */
const CATALOG_TEXT_OIDS = new Set([18, 19, 22, 24, 30, 194, 2202, 2203, 2204, 2205, 2206]);
const TEXT_OID = 25;

/** How long a query waits for a connection (a new one, or a free one of the pool) before it fails. */
const CONNECTION_TIMEOUT_MS = 10_000;

type Fields = { fields?: Array<{ dataTypeID: number }> } | undefined;

/** Reports catalog-only columns as text (their values already arrive as strings). */
function catalogTypesAsText<R>(result: R): R {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results as Fields[]) {
    for (const field of r?.fields ?? []) if (CATALOG_TEXT_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
  }
  return result;
}

/**
 * node-postgres' client, with one fix for Prisma's migrations: @prisma/adapter-pg 6.19 has no
 * mapping for some column types of the system catalogs (`name`, `"char"`...), and the
 * schema engine reads the catalogs when it migrates, so `prisma migrate deploy` through the
 * adapter fails with "Column type 'name' could not be deserialized". This client reports
 * such columns as text. The model queries of the application never return a `name` column.
 */
class CatalogTypesAsTextClient extends pg.Client {
  // pg's query() has many overloads (promise, callback, submittable); the fix sits on the result of each.
  override query(...args: unknown[]): never {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (err: unknown, res: unknown) => (callback as (e: unknown, r: unknown) => void)(err, err ? res : catalogTypesAsText(res));
      return (super.query as (...a: unknown[]) => never)(...args);
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    return (result instanceof Promise ? result.then(catalogTypesAsText) : result) as never;
  }
}

/**
 * @prisma/adapter-pg's factory, with a second fix for the CLI: its shadow database (used by
 * `prisma migrate diff --from-migrations`) is meant to be a fresh database, but 6.19 opens it
 * with the original connection string, which wins over the database name it sets, so the
 * migrations ran against the real database. Here the shadow database's URL names it.
 */
class PostgresAdapterFactory extends PrismaPg {
  constructor(private readonly url: string) {
    super({ connectionString: url, Client: CatalogTypesAsTextClient, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS });
  }

  override async connectToShadowDb(): ReturnType<PrismaPg['connectToShadowDb']> {
    const name = `prisma_migrate_shadow_db_${randomUUID().replaceAll('-', '')}`;
    const main = await this.connect();
    await main.executeScript(`CREATE DATABASE "${name}"`);
    const shadowUrl = new URL(this.url);
    shadowUrl.pathname = `/${name}`;
    const shadow = await new PrismaPg({ connectionString: shadowUrl.toString(), Client: CatalogTypesAsTextClient, connectionTimeoutMillis: CONNECTION_TIMEOUT_MS }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await main.executeScript(`DROP DATABASE IF EXISTS "${name}"`);
      await main.dispose();
    };
    return shadow;
  }
}

/**
 * The PostgreSQL driver adapter for a URL, used by the application (db/client.ts) and by the
 * Prisma CLI (prisma.config.ts) alike. The URL is libpq-style (user, password, host, port,
 * database, sslmode, application_name...); the pool keeps node-postgres' size (10
 * connections per process), and a query that cannot get a connection within 10 s fails
 * (an infrastructure error the sagas retry) instead of hanging. Tables live in the
 * database's default schema (public): Prisma's `?schema=` parameter is refused rather than
 * silently ignored.
 */
export function postgresAdapter(url: string): PrismaPg {
  const schema = new URL(url).searchParams.get('schema');
  if (schema && schema !== 'public') {
    throw new Error(`DATABASE_URL: ?schema=${schema} is not supported; the tables live in the "public" schema (use a database of its own instead)`);
  }
  return new PostgresAdapterFactory(url);
}
