import { defineConfig } from 'prisma/config';
import { PrismaLibSQL } from '@prisma/adapter-libsql';

// The Prisma CLI runs on its bundled Wasm schema engine through a driver adapter:
// native engines cannot be downloaded on these machines (see docs/toolchain in README).
const url = process.env.DATABASE_URL ?? 'file:./data/dev.db';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: async () => new PrismaLibSQL({ url }),
});
