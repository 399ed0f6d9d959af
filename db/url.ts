/** The databases the platform runs on, told apart by DATABASE_URL's scheme. */
export type DatabaseKind = 'sqlite' | 'postgres';

/** file: → SQLite (the embedded default); postgres:// or postgresql:// → PostgreSQL. */
export function databaseKind(url: string): DatabaseKind {
  if (url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:\/\//.test(url)) return 'postgres';
  throw new Error(`DATABASE_URL: unsupported database URL scheme in "${url.split(':')[0]}:"`);
}
