import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The same code runs on SQLite and PostgreSQL because it talks to the database through
 * Prisma's query API only. These scans keep it that way.
 */
const APP_DIRS = ['api', 'activities', 'domains', 'resilience', 'workers', 'workflows', 'shared', 'temporal', 'vendors', 'config'];

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const files = APP_DIRS.flatMap(sourceFiles);

describe('portable database access', () => {
  it('has source files to scan', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('sends no raw SQL outside db/ (SQL dialects differ between SQLite and PostgreSQL)', () => {
    const raw = files.filter((f) => /\$(queryRaw|executeRaw)(Unsafe)?\b/.test(readFileSync(f, 'utf8')));
    expect(raw).toEqual([]);
  });

  it('tells Prisma errors apart by code, not by class (each database has its own generated client and error classes)', () => {
    const byClass = files.filter((f) => /instanceof\s+Prisma\./.test(readFileSync(f, 'utf8')));
    expect(byClass).toEqual([]);
  });

  it('imports the Prisma client only as types outside db/ (createDb picks the client for the URL)', () => {
    const valueImports = files.filter((f) => /^import\s+(?!type\b)[^;]*from\s+'@prisma\/client'/m.test(readFileSync(f, 'utf8')));
    expect(valueImports).toEqual([]);
  });
});
