import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildPlatformJs } from '../../scripts/build-js';
import { CLIENT_VARIABLES, startCluster, stopCluster } from '../../scripts/cluster';
import { buildWorkflowBundle } from '../../workers/bundle';
import type { StackInfo } from '../support/global-setup';

export { CLIENT_VARIABLES, readEnvFile } from '../../scripts/cluster';

/** The cluster the suite runs on (scripts/cluster.sh's folder and what its cluster.env says). */
export interface ClusterInfo {
  dir: string;
  /** TEMPORAL_ADDRESS, the TLS variables, TEMPORAL_UI_URL, DATABASE_URL. */
  env: Record<string, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: ClusterInfo;
  }
}

/**
 * Starts ONE cluster for the whole suite (scripts/cluster.sh on free ports, in a folder of this
 * run), migrates the platform's database on its PostgreSQL server, and builds the workflow
 * bundle. Each file then makes a World (test/reliability/support/world.ts) on it: its own
 * database on that server, its own vendors, workers and API processes, all connecting over
 * mutual TLS, because the client variables are set in this process's environment, which the
 * test files and the processes they start inherit.
 */
export default async function setup(project: TestProject) {
  const dir = resolve('.tmp', `cluster-test-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  const teardown = async () => {
    const keep = process.env.KEEP_TEST_DIR === '1';
    await stopCluster(dir, { remove: !keep });
    if (!keep) await rm(dir, { recursive: true, force: true });
  };
  try {
    const { env, serverUrl } = await startCluster(dir);
    for (const name of CLIENT_VARIABLES) process.env[name] = env[name];
    // Each World makes a database of its own on the cluster's PostgreSQL server.
    process.env.TEST_DATABASE_URL = serverUrl;
    const stack: StackInfo = {
      temporalAddress: env.TEMPORAL_ADDRESS!,
      temporalPort: Number(env.TEMPORAL_ADDRESS!.split(':')[1]),
      webUiUrl: env.TEMPORAL_UI_URL!,
      databaseUrl: env.DATABASE_URL!,
      taskQueue: 'sagas-cluster',
      workflowBundlePath: resolve(dir, 'workflow-bundle.js'),
      tracedWorkflowBundlePath: resolve(dir, 'workflow-bundle.js'),
      dir,
      temporalDbFile: '',
      vendors: { ANPR_URLS: '', ANPR_BACKUP_URLS: '', PAYMENT_URLS: '', PAYMENT_BACKUP_URLS: '' },
      externalServicesFile: resolve(dir, 'external-services.json'),
    };
    // The API and worker processes run from built JavaScript with plain node, as in production
    // (test/support/processes.ts reads PLATFORM_JS_DIR).
    await Promise.all([buildWorkflowBundle(stack.workflowBundlePath, { tracing: false }), buildPlatformJs(resolve(dir, 'js'))]);
    process.env.PLATFORM_JS_DIR = resolve(dir, 'js');
    project.provide('stack', stack);
    project.provide('cluster', { dir, env });
  } catch (err) {
    await teardown();
    throw err;
  }
  return teardown;
}
