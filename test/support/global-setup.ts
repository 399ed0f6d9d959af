import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDevServer, waitForPort } from '../../scripts/temporal-dev-server';
import { createTestDatabase } from '../postgres/test-database';
import { buildWorkflowBundle } from '../../workers/bundle';
import { freePort, startWorkerProcess, stopProcess } from './processes';
import { startVendorSet, writeExternalServicesFile, type VendorSet } from './vendors';

export interface StackInfo {
  temporalAddress: string;
  temporalPort: number;
  /** The dev server's Web UI (test/web-ui.test.ts opens sagas there; GET /sagas/:id links to it). */
  webUiUrl: string;
  databaseUrl: string;
  taskQueue: string;
  workflowBundlePath: string;
  /** The same workflows with the OpenTelemetry interceptors, for workers that trace. */
  tracedWorkflowBundlePath: string;
  dir: string;
  temporalDbFile: string;
  /** The shared worker's vendors: URLs by env variable, and its external-services config file. */
  vendors: VendorSet['env'];
  externalServicesFile: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

/**
 * Starts what the suite runs against, all real: a Temporal dev server on a persisted
 * SQLite file, a migrated database, and the saga worker as its own process.
 * Stops all of it at the end.
 */
export default async function setup(project: TestProject) {
  const dir = resolve('.tmp', `test-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });

  // TEST_DATABASE_URL (a PostgreSQL server; scripts/test.sh's second run): everything runs on a
  // fresh database created there for this run. Otherwise on a new SQLite file in `dir`.
  const postgres = process.env.TEST_DATABASE_URL ? await createTestDatabase(process.env.TEST_DATABASE_URL) : undefined;
  const temporalPort = await freePort();
  const uiPort = await freePort();
  const temporalDbFile = resolve(dir, 'temporal.db');
  const stack: StackInfo = {
    temporalAddress: `127.0.0.1:${temporalPort}`,
    temporalPort,
    webUiUrl: `http://127.0.0.1:${uiPort}`,
    databaseUrl: postgres?.url ?? `file:${resolve(dir, 'platform.db')}`,
    taskQueue: 'sagas-test',
    workflowBundlePath: resolve(dir, 'workflow-bundle.js'),
    tracedWorkflowBundlePath: resolve(dir, 'workflow-bundle-traced.js'),
    dir,
    temporalDbFile,
    vendors: { ANPR_URLS: '', ANPR_BACKUP_URLS: '', PAYMENT_URLS: '', PAYMENT_BACKUP_URLS: '' },
    externalServicesFile: resolve(dir, 'external-services.json'),
  };

  const children: ChildProcess[] = [];
  let vendors: VendorSet | undefined;
  const teardown = async () => {
    for (const child of children.reverse()) await stopProcess(child);
    await vendors?.close();
    // Keep the logs and databases of a run when asked (KEEP_TEST_DIR=1), e.g. to read worker.log.
    if (process.env.KEEP_TEST_DIR !== '1') await rm(dir, { recursive: true, force: true });
    if (process.env.KEEP_TEST_DIR !== '1') await postgres?.drop();
  };
  try {
    const [server] = await Promise.all([
      startDevServer({ port: temporalPort, dbFile: temporalDbFile, uiPort }),
      buildWorkflowBundle(stack.workflowBundlePath, { tracing: false }),
      buildWorkflowBundle(stack.tracedWorkflowBundlePath, { tracing: true }),
    ]);
    children.push(server);
    vendors = await startVendorSet();
    stack.vendors = vendors.env;
    await writeExternalServicesFile(stack.externalServicesFile, vendors.env);
    execFileSync('npx', ['prisma', 'migrate', 'deploy'], {
      env: { ...process.env, DATABASE_URL: stack.databaseUrl },
      stdio: 'pipe',
    });
    const workerLog = resolve(dir, 'worker.log');
    children.push(await startWorkerProcess(workerEnv(stack), workerLog));
    await waitForPort(temporalPort, 1000);
  } catch (err) {
    await teardown();
    throw err;
  }

  project.provide('stack', stack);
  return teardown;
}

/** The environment of a worker process attached to the test stack. */
export function workerEnv(stack: StackInfo): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    WORKFLOW_BUNDLE_PATH: stack.workflowBundlePath,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    FAULTS_ENABLED: 'true',
    EXTERNAL_SERVICES_FILE: stack.externalServicesFile,
    DATABASE_BREAKER_WAIT_MS: '1000',
    RESILIENCE_PUBLISH_MS: '200',
    SERVICES_FILE_POLL_MS: '100',
    // Several test workers run at once: each asks for its own metrics port when it wants one.
    WORKER_METRICS_PORT: '0',
    // The shared workers deliver the platform's order events only; domain tests run dispatchers of their own.
    NOTIFY_EVENT_KEY_PREFIX: 'order:',
    // The tests' webhook receivers listen on this machine, over http (TEST_OUTBOUND).
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,localhost',
  };
}
