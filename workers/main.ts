import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadSettings } from '../config/settings';
import { createDb } from '../db/client';
import { createDomains } from '../domains';
import { createLogger } from '../shared/logger';
import { installRuntimeLogger } from './runtime-logger';

/**
 * The saga worker: runs every saga workflow and activity on one task queue.
 * SIGINT/SIGTERM stop polling, let running tasks finish, and exit.
 */
const settings = loadSettings();
const logger = createLogger('worker', settings.LOG_LEVEL);
installRuntimeLogger(logger);

const db = await createDb(settings.DATABASE_URL);
const domains = createDomains(db, { faultsEnabled: settings.FAULTS_ENABLED });
const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
const worker = await Worker.create({
  connection,
  namespace: settings.TEMPORAL_NAMESPACE,
  taskQueue: settings.TEMPORAL_TASK_QUEUE,
  workflowBundle: { codePath: settings.WORKFLOW_BUNDLE_PATH },
  activities: createActivities(domains),
  shutdownGraceTime: '10 seconds',
});

logger.info({ taskQueue: settings.TEMPORAL_TASK_QUEUE, address: settings.TEMPORAL_ADDRESS }, 'worker started');
try {
  await worker.run();
} finally {
  await connection.close();
  await db.$disconnect();
  logger.info('worker stopped');
}
