import { NativeConnection, Worker } from '@temporalio/worker';
import { loadSettings } from '../config/settings';
import { createDb } from '../db/client';
import { createLogger } from '../shared/logger';
import { composeWorker } from './compose';
import { installRuntimeLogger } from './runtime-logger';

/**
 * The saga worker: runs every saga workflow and activity on one task queue.
 * SIGINT/SIGTERM stop polling, let running tasks finish, and exit.
 */
const settings = loadSettings();
const logger = createLogger('worker', settings.LOG_LEVEL);
installRuntimeLogger(logger);

const db = await createDb(settings.DATABASE_URL);
const graph = composeWorker(settings, db, logger);
const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  namespace: settings.TEMPORAL_NAMESPACE,
  taskQueue: settings.TEMPORAL_TASK_QUEUE,
  workflowBundle: { codePath: settings.WORKFLOW_BUNDLE_PATH },
  activities: graph.activities,
  shutdownGraceTime: '10 seconds',
});

logger.info({ taskQueue: settings.TEMPORAL_TASK_QUEUE, address: settings.TEMPORAL_ADDRESS }, 'worker started');
graph.start();
try {
  await worker.run();
} finally {
  await graph.stop();
  await connection.close();
  await db.$disconnect();
  logger.info('worker stopped');
}
