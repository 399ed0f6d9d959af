import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlatformJs } from '../../scripts/build-js';
import { externalImports, importProblems, productionPackages, startProblems } from '../../scripts/check-production-build';
import { repoPath } from './env-names';

/**
 * The production image's build, run here without Docker (issue 9): the Dockerfile builds the API and
 * the worker with scripts/build-js.ts and ships them with production dependencies only; its build
 * stage runs scripts/check-production-build.ts, which these tests run on a build of their own.
 */
const dir = mkdtempSync(join(tmpdir(), 'production-build-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A metafile of one output importing `paths` (as esbuild reports external imports). */
const metafileImporting = (...paths: string[]): Metafile => ({
  inputs: {},
  outputs: { 'api.mjs': { bytes: 0, inputs: {}, exports: [], imports: paths.map((path) => ({ path, kind: 'import-statement' as const, external: true })) } },
});

describe('the production build', () => {
  it('imports production dependencies only, and files the image ships', async () => {
    const { metafile } = await buildPlatformJs(join(dir, 'dist'));
    const { packages, files } = externalImports(metafile);
    // The graph is the real one: the frameworks each entry is built on are in it.
    expect([...packages.keys()]).toEqual(expect.arrayContaining(['fastify', '@temporalio/worker', '@prisma/client']));
    expect([...files]).toEqual([repoPath('db/generated/postgres/index.js')]);
    expect(importProblems(metafile)).toEqual([]);
  });

  it('starts the API and the worker over a node_modules of production packages alone', () => {
    expect(startProblems([join(dir, 'dist', 'api.mjs'), join(dir, 'dist', 'worker.mjs')])).toEqual([]);
  });
});

describe('the check itself', () => {
  it('names a devDependency, an undeclared package and a file the image does not ship', () => {
    expect(importProblems(metafileImporting('yaml', 'esbuild', 'fastify', 'node:fs', '/somewhere/else.js'))).toEqual([
      'api.mjs imports yaml, a devDependency',
      'api.mjs imports esbuild, which package.json does not list in dependencies',
      'the build imports /somewhere/else.js, a file the image does not ship (only db/generated/ is copied)',
    ]);
  });

  it('the production packages leave out what only devDependencies bring', () => {
    const production = productionPackages();
    expect(production).toEqual(expect.arrayContaining(['fastify', '@temporalio/worker', '@prisma/adapter-libsql']));
    for (const dev of ['vitest', 'tsx', 'esbuild', 'prisma', 'typescript', 'fast-check']) expect(production).not.toContain(dev);
  });

  it('a built entry that needs a dev-only package does not start over production packages', () => {
    const entry = join(dir, 'needs-fast-check.mjs');
    writeFileSync(entry, "import 'fast-check';\nthrow new Error('Invalid configuration: never reached');\n");
    const [problem, ...more] = startProblems([entry]);
    expect(more).toEqual([]);
    expect(problem).toMatch(/needs-fast-check\.mjs did not get as far as its configuration[\s\S]*'fast-check'[\s\S]*ERR_MODULE_NOT_FOUND/);
  });
});
