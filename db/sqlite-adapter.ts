import { PrismaLibSQL } from '@prisma/adapter-libsql';

type LibsqlClient = ReturnType<PrismaLibSQL['createClient']>;

const CONNECTION_PRAGMAS = ['PRAGMA busy_timeout = 5000', 'PRAGMA synchronous = NORMAL'];

/**
 * The libsql adapter, made safe for several processes writing one SQLite file.
 * libsql opens a fresh connection after every transaction, without our pragmas, and
 * Prisma begins transactions DEFERRED: a reader that later writes then fails at once
 * with "database is locked". So: every new connection gets a busy timeout, and
 * transactions take the write lock up front (BEGIN IMMEDIATE), where the timeout applies.
 */
export class SqliteAdapterFactory extends PrismaLibSQL {
  override createClient(config: Parameters<PrismaLibSQL['createClient']>[0]): LibsqlClient {
    const client = super.createClient(config);
    let freshConnection = true;
    const prepare = async () => {
      if (!freshConnection) return;
      freshConnection = false;
      for (const pragma of CONNECTION_PRAGMAS) await client.execute(pragma);
    };
    return new Proxy(client, {
      get(target, prop) {
        if (prop === 'execute' || prop === 'batch' || prop === 'executeMultiple') {
          return async (...args: unknown[]) => {
            await prepare();
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        if (prop === 'transaction') {
          return async () => {
            await prepare();
            const tx = await target.transaction('write');
            freshConnection = true; // libsql hands this connection to the transaction and opens a new one next
            return tx;
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}
