import pg from 'pg';

export interface TestDatabase {
  /** The URL of the fresh database (DATABASE_URL of everything in the run). */
  url: string;
  drop(): Promise<void>;
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database for one test run, on the PostgreSQL server of `serverUrl`
 * (TEST_DATABASE_URL: any database there the user may connect to, e.g. `.../postgres`; the
 * user needs CREATEDB). Named after the run, dropped first if a crashed run left it behind,
 * and dropped again by `drop()` (connections still open are closed: WITH (FORCE)).
 */
export async function createTestDatabase(serverUrl: string, name = `saga_test_${process.pid}`): Promise<TestDatabase> {
  if (!/^postgres(ql)?:\/\//.test(serverUrl)) throw new Error(`TEST_DATABASE_URL must be a postgres:// URL, not "${serverUrl.split(':')[0]}:"`);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  await onServer(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await onServer(serverUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => onServer(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
