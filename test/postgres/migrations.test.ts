import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { databaseKind } from '../../db/url';
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA, renderPostgresSchema, SQLITE_SCHEMA, staleFiles } from '../../scripts/generate-migrations';

/**
 * One data model, two databases: prisma/schema.prisma (SQLite) is the source; the PostgreSQL
 * schema and both init migrations are generated from it (`npm run db:migrations`).
 */
describe('the migration histories', () => {
  it('are what prisma/schema.prisma generates, for SQLite and PostgreSQL (else run `npm run db:migrations`)', () => {
    expect(staleFiles()).toEqual([]);
  });

  it('differ from the source schema only in the provider and the client output', () => {
    const source = readFileSync(SQLITE_SCHEMA, 'utf8');
    const postgres = readFileSync(POSTGRES_SCHEMA, 'utf8');
    expect(postgres).toBe(renderPostgresSchema(source));
    const models = (text: string) => text.slice(text.search(/^model /m));
    expect(models(postgres)).toBe(models(source));
    expect(() => renderPostgresSchema(source.replace('String   @id', 'String   @id @db.Text'))).toThrow(/native type attribute/);
  });

  // Semantic check: the history, applied to a shadow database (created and dropped on the
  // server by the CLI), leaves no difference to the schema. Needs a PostgreSQL server, so in
  // the PostgreSQL run only. (For SQLite the libsql adapter's shadow database is in memory and
  // does not keep tables between its connections, so that check cannot run there: the text
  // comparison above covers it, and the SQLite run itself runs on the migrated database.)
  it.skipIf(databaseKind(inject('stack').databaseUrl) !== 'postgres')(
    'leaves no difference to the schema when the PostgreSQL history is applied to an empty database',
    async () => {
      const out = execFileSync(
        process.execPath,
        ['node_modules/prisma/build/index.js', 'migrate', 'diff', '--from-migrations', POSTGRES_MIGRATIONS, '--to-schema-datamodel', POSTGRES_SCHEMA, '--exit-code'],
        {
          env: {
            ...process.env,
            DATABASE_URL: inject('stack').databaseUrl,
            PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || '/dev/null',
            PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY || '/dev/null',
          },
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      expect(out).toContain('No difference detected');
      // The shadow database was made for the diff and dropped after it.
      const client = new pg.Client({ connectionString: inject('stack').databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'");
        expect(rows).toEqual([]);
      } finally {
        await client.end();
      }
    },
  );
});
