import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import type { Metafile } from 'esbuild';
import { buildPlatformJs } from './build-js';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The production build as the Dockerfile makes it, checked before it ships: the API and the worker
 * built into OUTDIR (scripts/build-js.ts), then
 *   1. the import graph (esbuild's metafile): every package the built files import is a production
 *      dependency of package.json (a devDependency, or a package that is there only because a
 *      devDependency brought it, is missing from `npm ci --omit=dev`), and every file they import
 *      by path is one the image copies (the generated PostgreSQL client);
 *   2. each entry started over a node_modules that holds only the production packages of
 *      package-lock.json: an ES module links all its static imports before it runs a line, so an
 *      entry that gets as far as refusing its (missing) configuration resolved every one of them.
 * No Docker engine is needed; the Dockerfile's build stage runs this too.
 *   node --import tsx scripts/check-production-build.ts OUTDIR
 */

interface Lockfile {
  packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean }>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as T;

/** What the built files import from outside themselves: packages by name, files by path. */
export function externalImports(metafile: Metafile): { packages: Map<string, Set<string>>; files: Set<string> } {
  const packages = new Map<string, Set<string>>();
  const files = new Set<string>();
  for (const [output, { imports }] of Object.entries(metafile.outputs)) {
    for (const { path, external } of imports) {
      if (!external) continue;
      if (path.startsWith('node:') || builtinModules.includes(path)) continue;
      if (path.startsWith('/') || path.startsWith('.')) {
        files.add(path);
        continue;
      }
      const parts = path.split('/');
      const name = path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      packages.set(name, (packages.get(name) ?? new Set()).add(basename(output)));
    }
  }
  return { packages, files };
}

/** The top-level packages that `npm ci --omit=dev` installs: the lock's entries not marked dev. */
export function productionPackages(lock: Lockfile = readJson<Lockfile>('package-lock.json')): string[] {
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('/node_modules/') && !entry.dev && !entry.devOptional)
    .map(([path]) => path.slice('node_modules/'.length));
}

/** Problems with the import graph (empty: none). */
export function importProblems(metafile: Metafile): string[] {
  const pkg = readJson<{ dependencies?: Record<string, string>; devDependencies?: Record<string, string> }>('package.json');
  const production = new Set(productionPackages());
  const { packages, files } = externalImports(metafile);
  const problems: string[] = [];
  for (const [name, importers] of packages) {
    const by = [...importers].join(', ');
    if (pkg.devDependencies?.[name]) problems.push(`${by} imports ${name}, a devDependency`);
    else if (!pkg.dependencies?.[name]) problems.push(`${by} imports ${name}, which package.json does not list in dependencies`);
    else if (!production.has(name)) problems.push(`${by} imports ${name}, which package-lock.json does not install without dev`);
  }
  const shipped = join(ROOT, 'db/generated') + '/';
  for (const file of files) if (!file.startsWith(shipped)) problems.push(`the build imports ${file}, a file the image does not ship (only db/generated/ is copied)`);
  return problems;
}

/**
 * Starts each built entry over a node_modules of the production packages alone (links into this
 * repository's node_modules) and without configuration: each must stop at its configuration, not
 * at a module it cannot find. Problems (empty: none).
 */
export function startProblems(entries: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'production-build-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    for (const name of [...productionPackages(), '.prisma']) {
      if (name.includes('/')) mkdirSync(join(dir, 'node_modules', name.split('/')[0]!), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
    }
    const problems: string[] = [];
    for (const entry of entries) {
      const copy = join(dir, basename(entry));
      copyFileSync(entry, copy);
      // No NODE_ENV and no secrets: a production process refuses the development defaults (config/settings.ts).
      const env = { HOME: dir }; // nothing of this environment: node is started by its path
      const run = spawnSync(process.execPath, [copy], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
      if (run.stderr.includes('ERR_MODULE_NOT_FOUND') || !run.stderr.includes('Invalid configuration')) {
        problems.push(`${basename(entry)} did not get as far as its configuration (exit ${run.status}):\n${run.stderr.slice(0, 2000)}`);
      }
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds into `outdir` and checks it; the problems found (empty: none). */
export async function checkProductionBuild(outdir: string): Promise<string[]> {
  const { api, worker, metafile } = await buildPlatformJs(outdir);
  const problems = importProblems(metafile);
  return problems.length > 0 ? problems : startProblems([api, worker]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outdir = process.argv[2];
  if (!outdir) throw new Error('usage: node --import tsx scripts/check-production-build.ts OUTDIR');
  const problems = await checkProductionBuild(resolve(outdir));
  if (problems.length > 0) {
    console.error(`The production build of ${relative(process.cwd(), resolve(outdir)) || '.'} would not run with production dependencies only:\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  console.log(`production build in ${outdir}: imports production dependencies only; api.mjs and worker.mjs start with nothing else installed`);
}
