import { defineConfig } from 'prisma/config';
import { PrismaLibSQL } from '@prisma/adapter-libsql';
import { postgresAdapter } from './db/postgres-adapter';
import { databaseKind } from './db/url';

// The Prisma CLI runs on its bundled Wasm schema engine through a driver adapter:
// native engines cannot be downloaded on these machines (see docs/configuration.md).
//
// DATABASE_URL picks the database, and with it the schema and the migration history:
//   file:...            SQLite      prisma/schema.prisma           prisma/migrations
//   postgres(ql)://...  PostgreSQL  prisma/postgres/schema.prisma  prisma/postgres/migrations
// prisma/schema.prisma is the one source of truth; the PostgreSQL schema and both init
// migrations are generated from it by `npm run db:migrations` (scripts/generate-migrations.ts).
const url = process.env.DATABASE_URL ?? 'file:./data/dev.db';
const postgres = databaseKind(url) === 'postgres';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: postgres ? 'prisma/postgres/schema.prisma' : 'prisma/schema.prisma',
  migrations: { path: postgres ? 'prisma/postgres/migrations' : 'prisma/migrations' },
  adapter: async () => (postgres ? postgresAdapter(url) : new PrismaLibSQL({ url })),
});
