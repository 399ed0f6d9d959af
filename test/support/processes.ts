import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { stopProcess } from '../../scripts/processes';

export { freePort, stopProcess } from '../../scripts/processes';

/** Runs a TypeScript entrypoint with tsx, output appended to `logPath`. */
export function spawnTs(entry: string, env: NodeJS.ProcessEnv, logPath: string): ChildProcess {
  const log = openSync(logPath, 'a');
  return spawn(process.execPath, ['--import', 'tsx', entry], {
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
