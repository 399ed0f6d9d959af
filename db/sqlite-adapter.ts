import { PrismaLibSQL } from '@prisma/adapter-libsql';

type LibsqlClient = ReturnType<PrismaLibSQL['createClient']>;

/**
 * libsql runs SQLite on the JS thread: a statement that waits for the write lock waits inside
 * SQLite's busy handler, and the whole process (every request, activity and workflow task)
 * waits with it. So SQLite itself waits only briefly (SYNC_BUSY_MS), and a statement refused
 * for a busy database is tried again after an asynchronous pause, for up to BUSY_BUDGET_MS
 * in all: the process goes on with its other work meanwhile.
 */
const SYNC_BUSY_MS = 50;
const BUSY_BUDGET_MS = 5000;
const CONNECTION_PRAGMAS = [`PRAGMA busy_timeout = ${SYNC_BUSY_MS}`, 'PRAGMA synchronous = NORMAL'];

/** SQLITE_BUSY (and its extended codes): the database is locked by another writer; nothing was done. */
function isBusy(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (typeof e?.code === 'string' && e.code.startsWith('SQLITE_BUSY')) || (typeof e?.message === 'string' && /database is locked/i.test(e.message));
}

/** A busy refusal as Prisma's libsql adapter reports it: it maps SQLITE_BUSY to the kind SocketTimeout. */
function isBusyAdapterError(err: unknown): boolean {
  return (err as { cause?: { kind?: unknown } } | undefined)?.cause?.kind === 'SocketTimeout';
}

/** Runs `call` again after a growing pause while the database is busy, for up to BUSY_BUDGET_MS. */
async function retryWhileBusy<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUSY_BUDGET_MS;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      return await call();
    } catch (err) {
      if (!isBusyAdapterError(err) || Date.now() + pause > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, pause * (0.5 + Math.random())));
    }
  }
}

/**
 * The libsql adapter, made safe for several processes writing one SQLite file, and cheap per
 * transaction. Prisma begins transactions DEFERRED: a reader that later writes then fails at
 * once with "database is locked". So: every new connection gets a busy timeout, transactions
 * take the write lock up front (BEGIN IMMEDIATE), and a busy database is waited for
 * asynchronously (see above).
 *
 * libsql's own transaction() hands its connection to the transaction, closes it at the end and
 * opens a new one for the next statement: a connection (file open, WAL index, schema parse,
 * pragmas) per transaction, about 1 ms of CPU each. Prisma's adapter already runs a
 * transaction alone (it holds the adapter's lock from BEGIN to COMMIT), so the transaction
 * runs on the one connection instead (`transactionOn`), which then serves the next statement.
 *
 * A statement that libsql ran into SQLITE_BUSY stays "in progress" on its connection (libsql
 * does not reset it): on that connection every later write would stay uncommitted, holding the
 * write lock and locking every other writer out for good, and every COMMIT would fail. So the
 * connection is dropped on a busy error, and the next call opens a fresh one.
 */
export class SqliteAdapterFactory extends PrismaLibSQL {
  /**
   * Prisma's adapter runs every statement and every transaction under one lock per process.
   * A statement that waited for a busy database under that lock made every other one wait
   * behind it: twenty writes during a held lock took 100 s, and the worker's reads and steps
   * stalled with them. So the waiting happens here, outside the lock: a statement or a
   * transaction start refused as busy (it did nothing) is tried again after an asynchronous
   * pause, each for up to BUSY_BUDGET_MS from its own first try, while the others go on.
   */
  override async connect(): Promise<Awaited<ReturnType<PrismaLibSQL['connect']>>> {
    const adapter = await super.connect();
    for (const method of ['queryRaw', 'executeRaw', 'startTransaction'] as const) {
      const original = (adapter[method] as (...args: unknown[]) => Promise<unknown>).bind(adapter);
      (adapter as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => retryWhileBusy(() => original(...args));
    }
    return adapter;
  }

  override createClient(config: Parameters<PrismaLibSQL['createClient']>[0]): LibsqlClient {
    // The connection in use: libsql's client holds one; dropping it means a new client.
    let client = super.createClient(config);
    let freshConnection = true;
    const prepare = async () => {
      if (!freshConnection) return;
      freshConnection = false;
      for (const pragma of CONNECTION_PRAGMAS) await client.execute(pragma);
    };
    /** Closes the connection (whatever state it is in) and opens a fresh one for what comes next. */
    const dropConnection = () => {
      const dropped = client;
      client = super.createClient(config);
      freshConnection = true;
      try {
        dropped.close();
      } catch {
        // already unusable: nothing more to release
      }
    };
    /**
     * Runs `call` on a prepared connection; on busy, drops the connection and rethrows at once.
     * The wait happens above (see connect): here it would hold the adapter's lock.
     */
    const dropWhenBusy = async <T>(call: () => Promise<T>): Promise<T> => {
      await prepare();
      try {
        return await call();
      } catch (err) {
        if (isBusy(err)) dropConnection();
        throw err;
      }
    };
    // Every call goes to the connection in use at the time of the call.
    return new Proxy(client, {
      get(_first, prop) {
        if (prop === 'execute' || prop === 'batch') {
          // A statement (or a batch, in its own transaction) refused as busy had no effect: safe to run again.
          return async (...args: unknown[]) => dropWhenBusy(async () => (client[prop] as (...a: unknown[]) => unknown).apply(client, args));
        }
        if (prop === 'executeMultiple') {
          // A script may have run in part: not run again.
          return async (...args: unknown[]) => {
            await prepare();
            return client.executeMultiple(...(args as [string]));
          };
        }
        if (prop === 'transaction') {
          return async () => {
            // BEGIN IMMEDIATE refused as busy started nothing: tried again from above.
            await dropWhenBusy(() => client.execute('BEGIN IMMEDIATE'));
            return transactionOn(client, dropConnection);
          };
        }
        const value = Reflect.get(client, prop, client);
        return typeof value === 'function' ? value.bind(client) : value;
      },
    });
  }
}

type LibsqlTransaction = Awaited<ReturnType<LibsqlClient['transaction']>>;

/**
 * A transaction begun on `client`'s connection (the caller ran BEGIN): its statements run there
 * and COMMIT or ROLLBACK ends it, leaving the connection open for what comes next. The adapter's
 * lock keeps every other statement off the connection meanwhile. When the end itself fails, the
 * connection is dropped (closing it rolls back what was left open), so that no half-open
 * transaction outlives it.
 */
function transactionOn(client: LibsqlClient, dropConnection: () => void): LibsqlTransaction {
  let closed = false;
  const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
    if (closed) return;
    closed = true;
    try {
      await client.execute(sql);
    } catch (err) {
      dropConnection();
      if (sql === 'COMMIT') throw err;
    }
  };
  const open = () => {
    if (closed) throw new Error('The transaction is closed');
  };
  return {
    execute: ((stmt: Parameters<LibsqlClient['execute']>[0]) => (open(), client.execute(stmt))) as LibsqlTransaction['execute'],
    batch: (stmts) => (open(), Promise.all(stmts.map((stmt) => client.execute(stmt)))),
    executeMultiple: (sql) => (open(), client.executeMultiple(sql)),
    commit: () => end('COMMIT'),
    rollback: () => end('ROLLBACK'),
    close: () => void end('ROLLBACK').catch(() => undefined),
    get closed() {
      return closed;
    },
  };
}
