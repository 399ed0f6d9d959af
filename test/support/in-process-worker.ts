import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { SAGA_BUNDLE_OPTIONS } from '../../workers/bundle';

export interface InProcessWorker {
  taskQueue: string;
  /** A client on the same server, to start and signal the worker's workflows. */
  client: Client;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * A worker inside the test process, on a task queue of its own, running the workflows of
 * `workflowsFile` (bundled here) with `activities` that the test controls. For workflows and
 * activities that exist only for a test (the product's own run in worker processes: own-worker.ts).
 */
export async function startInProcessWorker(name: string, workflowsFile: URL, activities: object): Promise<InProcessWorker> {
  const stack = inject('stack');
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(workflowsFile),
    ...SAGA_BUNDLE_OPTIONS,
    logger: new DefaultLogger('WARN'),
  });
  const taskQueue = `${name}-${process.pid}`;
  const connection = await NativeConnection.connect({ address: stack.temporalAddress });
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: { code }, activities });
  const running = worker.run();
  const clientConnection = await Connection.connect({ address: stack.temporalAddress });
  return {
    taskQueue,
    client: new Client({ connection: clientConnection }),
    async stop() {
      await clientConnection.close();
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
