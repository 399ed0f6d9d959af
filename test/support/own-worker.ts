import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { workerEnv } from './global-setup';
import { startWorkerProcess, stopProcess } from './processes';
import { startVendorSet, writeExternalServicesFile, type ConfigureServices, type VendorSet } from './vendors';

export interface OwnWorker {
  taskQueue: string;
  vendors: VendorSet;
  process: ChildProcess;
  /** The id under which the worker publishes its resilience snapshot. */
  workerId: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A worker of the test's own, on its own task queue with its own simulated vendors,
 * so that a test can break vendors without touching the other test files' sagas.
 * `options.configure` adjusts its vendors' config (the test config otherwise).
 */
export async function startOwnWorker(
  name: string,
  env: NodeJS.ProcessEnv = {},
  options: { configure?: ConfigureServices } = {},
): Promise<OwnWorker> {
  const stack = inject('stack');
  const vendors = await startVendorSet();
  const taskQueue = `sagas-${name}`;
  const configFile = await writeExternalServicesFile(join(stack.dir, `${name}-services.json`), vendors.env, options.configure);
  const log = join(stack.dir, `${name}-worker.log`);
  const child = await startWorkerProcess(
    { ...workerEnv(stack), TEMPORAL_TASK_QUEUE: taskQueue, EXTERNAL_SERVICES_FILE: configFile, ...env },
    log,
    `the ${name} worker`,
  ).catch(async (err: unknown) => {
    await vendors.close();
    throw err;
  });
  return {
    taskQueue,
    vendors,
    process: child,
    workerId: `${hostname()}:${child.pid}`,
    async stop(signal = 'SIGTERM') {
      await stopProcess(child, signal);
      await vendors.close();
    },
  };
}

/** Tells a simulated vendor instance to go down, come back, fail a share of calls or slow down. */
export async function setVendorFaults(vendors: VendorSet, instance: string, faults: { down?: boolean; failRate?: number; latencyMs?: number }) {
  const res = await fetch(`${vendors.byName[instance]!.url}/admin/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`could not set faults on ${instance}: ${res.status}`);
}

/** How many business calls a simulated vendor instance received. */
export async function vendorCalls(vendors: VendorSet, instance: string): Promise<number> {
  const res = await fetch(`${vendors.byName[instance]!.url}/admin/stats`);
  const stats = (await res.json()) as { calls?: number; total?: number };
  return stats.calls ?? stats.total ?? 0;
}
