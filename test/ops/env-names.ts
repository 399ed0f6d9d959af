import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEFAULT_SERVICE_URLS } from '../../config/external-services';

/**
 * Finds the environment variables the code reads, by reading the code: `process.env.X`,
 * `env.X`, `env['X']`, helpers like `numberFromEnv(env, 'X')`, the keys of the settings schema
 * (config/settings.ts), the URL variables of config/external-services.ts, and `${X:-default}`
 * in the shell scripts. Shared by test/ops/config-documented.test.ts and compose.test.ts.
 */

const ROOT = join(import.meta.dirname, '..', '..');

/** The platform's processes: API, worker, simulators, Prisma CLI config. */
export const PLATFORM_SOURCES = [
  'api', 'workers', 'config', 'db', 'simulators', 'vendors', 'resilience', 'activities', 'domains',
  'shared', 'temporal', 'workflows', 'prisma.config.ts',
];
/** Scripts (make start/test, generators) and the test harness. */
export const SCRIPT_SOURCES = ['scripts', 'test/support', 'test/postgres', 'test/web-ui.test.ts', 'vitest.config.ts'];
/** Never scanned: generated code. */
const SKIP = ['db/generated'];

const NAME = '[A-Z][A-Z0-9_]*';
const TS_PATTERNS = [
  new RegExp(`\\benv\\??\\.(${NAME})\\b`, 'g'), // process.env.X, env.X, env?.X
  new RegExp(`\\benv\\[\\s*['"\`](${NAME})['"\`]\\s*\\]`, 'g'), // env['X']
  new RegExp(`\\w*Env\\w*\\(\\s*(?:\\w+\\s*,\\s*)?['"](${NAME})['"]`, 'g'), // numberFromEnv(env, 'X'), serviceUrlsFromEnv('X')
];
const SHELL_PATTERN = new RegExp(`\\$\\{(${NAME}):?[-=?+]`, 'g'); // ${X:-default}, ${X:?message}
const SETTINGS_KEY = new RegExp(`^\\s+(${NAME}):\\s*z\\b`, 'gm'); // z.object({ X: z.string()... })

function files(path: string): string[] {
  const full = join(ROOT, path);
  if (SKIP.some((s) => path === s || path.startsWith(`${s}/`)) || !existsSync(full)) return [];
  if (statSync(full).isDirectory()) return readdirSync(full).flatMap((name) => files(join(path, name)));
  return /\.(ts|sh)$/.test(path) && !path.endsWith('.d.ts') ? [path] : [];
}

/** Variable name → the files that read it. */
export type EnvReads = Map<string, Set<string>>;

function add(reads: EnvReads, name: string, file: string) {
  if (!reads.has(name)) reads.set(name, new Set());
  reads.get(name)!.add(file);
}

export function scanEnvReads(sources: string[]): EnvReads {
  const reads: EnvReads = new Map();
  for (const file of sources.flatMap(files)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const patterns = file.endsWith('.sh') ? [SHELL_PATTERN] : TS_PATTERNS;
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) add(reads, m[1]!, file);
    if (file === 'config/settings.ts') for (const m of text.matchAll(SETTINGS_KEY)) add(reads, m[1]!, file);
  }
  if (sources.includes('config')) for (const name of Object.keys(DEFAULT_SERVICE_URLS)) add(reads, name, 'config/external-services.ts');
  return reads;
}

/** The variables of the platform's processes. */
export const platformEnvNames = () => scanEnvReads(PLATFORM_SOURCES);
/** The variables of the scripts and the test harness. */
export const scriptEnvNames = () => scanEnvReads(SCRIPT_SOURCES);

/** Names in the first column of the tables under each `## ` heading of a markdown file. */
export function documentedNames(markdown: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let section = '';
  for (const line of markdown.split('\n')) {
    const heading = /^##\s+(.+)$/.exec(line);
    if (heading) section = heading[1]!.trim();
    const row = new RegExp(`^\\|\\s*\`(${NAME})\`\\s*\\|`).exec(line);
    if (row) sections.set(section, [...(sections.get(section) ?? []), row[1]!]);
  }
  return sections;
}

export const repoPath = (path: string) => join(ROOT, path);
export const relativeToRepo = (path: string) => relative(ROOT, path);
