import { renameSync, writeFileSync } from 'node:fs';

/** Statements a process sent to its database, in all and by kind (the first SQL word: select, insert, update, delete, commit, ...). */
export interface StatementCount {
  total: number;
  byKind: Record<string, number>;
}

/** The kind of a statement as Prisma reports it ("-- Implicit \"COMMIT\" query ..." counts as commit). */
export function statementKind(sql: string): string {
  const text = sql.replace(/^\s*--\s*Implicit\s*"?/i, '').trimStart();
  return (/^[a-z]+/i.exec(text)?.[0] ?? 'other').toLowerCase();
}

/**
 * Counts the statements of one Prisma client from its query events, and keeps the running
 * count in `file` (JSON, rewritten at most every 200 ms while it changes): the benchmark
 * reads it before and after a step (`npm run bench -- --count-statements`).
 */
export function countStatementsTo(file: string) {
  const count: StatementCount = { total: 0, byKind: {} };
  let dirty = true;
  const flush = () => {
    if (!dirty) return;
    dirty = false;
    // Whole or not at all for a reader: written aside, then renamed over.
    writeFileSync(`${file}.tmp`, JSON.stringify(count));
    renameSync(`${file}.tmp`, file);
  };
  flush();
  setInterval(flush, 200).unref();
  return (event: { query: string }) => {
    const kind = statementKind(event.query);
    count.total++;
    count.byKind[kind] = (count.byKind[kind] ?? 0) + 1;
    dirty = true;
  };
}
