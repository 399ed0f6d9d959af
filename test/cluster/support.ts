import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { stopProcess, waitUntil } from '../support/processes';
import type { Http } from '../reliability/support/load';
import type { ApiProcess, World } from '../reliability/support/world';

export type ClusterService = 'frontend' | 'history' | 'matching' | 'worker';

/** The pid of one of the cluster's Temporal services (scripts/cluster.sh keeps them in run/). */
export function servicePid(name: ClusterService): number {
  return Number(readFileSync(`${inject('cluster').dir}/run/${name}.pid`, 'utf8').trim());
}

export function serviceAlive(name: ClusterService): boolean {
  try {
    process.kill(servicePid(name), 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends a service process (SIGKILL: no goodbye) and waits until it is gone. */
export async function killService(name: ClusterService, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  process.kill(servicePid(name), signal);
  await waitUntil(`Temporal ${name} to exit`, () => !serviceAlive(name), 30_000);
}

/** (Re)starts a service as the cluster's scripts do, and waits until it listens. */
export function startService(name: ClusterService): void {
  execFileSync('./scripts/cluster.sh', ['service', inject('cluster').dir, name], { stdio: 'pipe' });
}

/** Runs the temporal CLI with the environment given (the cluster's TLS variables are in process.env). */
export function temporalCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const bin = process.env.TEMPORAL_BIN ?? '.tools/bin/temporal';
  return spawnSync(bin, [...args, '--address', inject('cluster').env.TEMPORAL_ADDRESS!], { env, encoding: 'utf8', timeout: 60_000 });
}

/** Two API processes of the world (replicas behind one load balancer). */
export async function startApiReplicas(world: World): Promise<ApiProcess[]> {
  const first = await world.startApi();
  const second = await world.startApi();
  return [first, second];
}

export async function stopApiReplicas(apis: ApiProcess[] | undefined): Promise<void> {
  for (const api of apis ?? []) await stopProcess(api.process, 'SIGTERM', 5000);
}

/** Sends each request to the next replica in turn, as a round-robin balancer would. */
export function roundRobin(apis: ApiProcess[], timeoutMs = 30_000): Http & { served: number[] } {
  let next = 0;
  const served = apis.map(() => 0);
  const http = (async ({ method, url, body, headers }) => {
    const i = next++ % apis.length;
    served[i]!++;
    const res = await fetch(`${apis[i]!.url}${url}`, {
      method,
      headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { unparsable: text };
    }
    return { status: res.status, body: parsed };
  }) as Http & { served: number[] };
  http.served = served;
  return http;
}
