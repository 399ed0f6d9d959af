import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, inject } from 'vitest';
import { workerEnv } from './global-setup';
import { freePort, startWorkerProcess, stopProcess } from './processes';
import { connectStack, setInBeforeAll, type TestStack } from './stack';
import { startVendorSet, writeExternalServicesFile, type ConfigureServices, type VendorSet } from './vendors';
import { SAGA_BUNDLE_OPTIONS } from '../../workers/bundle';

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

/**
 * Bundles a test's workflow file (one that re-exports the product's workflows and adds its own)
 * for a worker of its own: start it with `{ WORKFLOW_BUNDLE_PATH: <the returned path> }`.
 */
/**
 * The test file's own worker (metrics on a free port) and a stack whose sagas go to its task
 * queue, so that what the worker counts is this file's alone: started in beforeAll, stopped in
 * afterAll. Use the fields inside tests and hooks.
 */
export function useOwnWorkerStack(name: string): { worker: OwnWorker; stack: TestStack; readonly metricsUrl: string } {
  let own: { worker: OwnWorker; stack: TestStack; metricsPort: number } | undefined;
  beforeAll(async () => {
    const metricsPort = await freePort();
    const worker = await startOwnWorker(name, { WORKER_METRICS_PORT: String(metricsPort) });
    own = { worker, metricsPort, stack: await connectStack({ taskQueue: worker.taskQueue }) };
  });
  afterAll(async () => {
    await own?.stack.close();
    await own?.worker.stop();
  });
  return {
    worker: setInBeforeAll(() => own?.worker, 'the own worker'),
    stack: setInBeforeAll(() => own?.stack, 'the stack'),
    get metricsUrl() {
      return `http://127.0.0.1:${setInBeforeAll(() => own, 'the own worker').metricsPort}/metrics`;
    },
  };
}

export async function bundleTestWorkflows(name: string, workflowsFile: URL): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(workflowsFile),
    ...SAGA_BUNDLE_OPTIONS,
    logger: new DefaultLogger('WARN'),
  });
  const bundle = join(inject('stack').dir, `${name}-bundle.js`);
  await writeFile(bundle, code);
  return bundle;
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
  return (await vendorStats(vendors, instance)).calls;
}

/** A simulated vendor instance's call counters: received, and given up by their caller before the answer. */
export async function vendorStats(vendors: VendorSet, instance: string): Promise<{ calls: number; abandoned: number }> {
  const res = await fetch(`${vendors.byName[instance]!.url}/admin/stats`);
  const stats = (await res.json()) as { calls?: number; total?: number; abandoned?: number };
  return { calls: stats.calls ?? stats.total ?? 0, abandoned: stats.abandoned ?? 0 };
}
