import { spawn, type ChildProcess } from 'node:child_process';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/saga/search-attributes';
import { isPortOpen } from './processes';

export const TEMPORAL_BIN = process.env.TEMPORAL_BIN ?? '.tools/bin/temporal';

export interface DevServerOptions {
  port: number;
  dbFile: string;
  uiPort?: number;
  logFile?: number | 'ignore' | 'inherit';
}

/**
 * The `temporal server start-dev` arguments: a real server on a persisted SQLite file,
 * with the platform's search attributes and the SQLite settings that make it fast
 * (WAL; synchronous=NORMAL keeps the file consistent on a crash and may lose the last
 * commits only on power loss, acceptable for the embedded default), and a history service
 * that looks for new tasks as soon as they are written (the server's default, 20 polls a
 * second per shard, makes every hand-off of a one-shard dev server wait ~25 ms; see bench/).
 */
export function devServerArgs({ port, dbFile, uiPort }: DevServerOptions): string[] {
  return [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--db-filename', dbFile,
    '--log-level', 'warn',
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    '--dynamic-config-value', 'history.transferProcessorMaxPollRPS=1000',
    ...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']),
    ...SEARCH_ATTRIBUTE_KEYS.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ];
}

/** Starts the dev server and resolves once its frontend port takes connections. */
export async function startDevServer(options: DevServerOptions): Promise<ChildProcess> {
  const child = spawn(TEMPORAL_BIN, devServerArgs(options), {
    stdio: ['ignore', options.logFile ?? 'ignore', options.logFile ?? 'ignore'],
  });
  await waitForPort(options.port, 30_000, child);
  return child;
}

/** Waits until something listens on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before port ${port} opened`);
    if (await isPortOpen(port)) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
