import type { Metafile } from 'esbuild';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The platform's processes as plain JavaScript, for running without tsx: the API and the saga
 * worker built with esbuild into OUTDIR/api.mjs and OUTDIR/worker.mjs (node_modules stay
 * external: they come from the production install). Used by `make start PROFILE=cluster`, the
 * cluster suite and `npm run bench -- --runtime js`.
 *   node --import tsx scripts/build-js.ts OUTDIR
 */
export async function buildPlatformJs(outdir: string): Promise<{ worker: string; api: string; metafile: Metafile }> {
  const esbuild = await import('esbuild');
  const { metafile } = await esbuild.build({
    entryPoints: { worker: join(ROOT, 'workers/main.ts'), api: join(ROOT, 'api/server.ts') },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
    metafile: true, // the import graph, for scripts/check-production-build.ts
    plugins: [
      {
        // The PostgreSQL client is generated CommonJS loaded only for postgres:// URLs: leave it out
        // (by its index.js: ES modules do not import a folder).
        name: 'external-generated',
        setup(build) {
          build.onResolve({ filter: /generated\/postgres$/ }, (args) => ({ path: join(resolve(args.resolveDir, args.path), 'index.js'), external: true }));
          // Deep imports into a CommonJS package's files (e.g. @temporalio/common/lib/time) name
          // no extension, which ES modules need.
          build.onResolve({ filter: /^@temporalio\/[^/]+\/lib\/[^.]+$/ }, (args) => ({ path: `${args.path}.js`, external: true }));
        },
      },
    ],
  });
  return { worker: join(outdir, 'worker.mjs'), api: join(outdir, 'api.mjs'), metafile };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outdir = process.argv[2];
  if (!outdir) throw new Error('usage: node --import tsx scripts/build-js.ts OUTDIR');
  await buildPlatformJs(resolve(outdir));
}
