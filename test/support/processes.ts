import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcess } from '../../scripts/processes';

export { freePort, stopProcess } from '../../scripts/processes';

/** The built JavaScript of an entrypoint (scripts/build-js.ts), by its TypeScript source. */
const BUILT: Record<string, string> = { 'api/server.ts': 'api.mjs', 'workers/main.ts': 'worker.mjs' };

/**
 * Runs a TypeScript entrypoint with tsx, output appended to `logPath`. With PLATFORM_JS_DIR
 * set (the cluster suite), the API and the worker run from their built JavaScript there
 * instead, with plain node, as in production.
 */
export function spawnTs(entry: string, env: NodeJS.ProcessEnv, logPath: string): ChildProcess {
  const log = openSync(logPath, 'a');
  const built = process.env.PLATFORM_JS_DIR && BUILT[entry];
  const args = built ? [join(process.env.PLATFORM_JS_DIR!, built)] : ['--import', 'tsx', entry];
  return spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', log, log],
  });
}

/** Resolves when `check` holds, polling; rejects after `timeoutMs` with `what` in the message. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts a saga worker (workers/main.ts) with `env`, output appended to `logPath`, and resolves
 * once it logs that it runs; if it exits or stays silent for a minute, it is killed and this throws.
 */
export async function startWorkerProcess(env: NodeJS.ProcessEnv, logPath: string, name = 'the worker'): Promise<ChildProcess> {
  const child = spawnTs('workers/main.ts', env, logPath);
  try {
    await waitUntil(
      `${name} to start`,
      () => {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: see ${logPath}`);
        return existsSync(logPath) && readFileSync(logPath, 'utf8').includes('worker started');
      },
      60_000,
    );
  } catch (err) {
    await stopProcess(child, 'SIGKILL');
    throw err;
  }
  return child;
}
