import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Logger } from '../../shared/logger';
import type { FaultSettings } from '../../simulators/faults';

/** A clock the test moves by hand. */
export function manualClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
    set: (ms: number) => {
      t = ms;
    },
  };
}

/** A pino logger whose lines are kept, parsed, for assertions. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'trace', base: null, timestamp: false },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines };
}

export async function setFaults(baseUrl: string, patch: Partial<FaultSettings>): Promise<FaultSettings> {
  const res = await fetch(`${baseUrl}/admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  if (!res.ok) throw new Error(`setFaults: HTTP ${res.status}`);
  return (await res.json()) as FaultSettings;
}

export async function stats<T = Record<string, unknown> & { calls: number }>(baseUrl: string): Promise<T> {
  const res = await fetch(`${baseUrl}/admin/stats`);
  return (await res.json()) as T;
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** A deterministic PRNG in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A promise with its resolve/reject handles, to hold calls open. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * An HTTP server that answers every request 200 and counts requests per path: what a health
 * checker's probes look like from the probed side. Instance URLs can carry a path prefix
 * (`${url}/a`) so that one server stands for several instances.
 */
export async function probeServer() {
  const counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    counts[path] = (counts[path] ?? 0) + 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"UP"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Requests received so far, per path. */
    counts: () => ({ ...counts }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
