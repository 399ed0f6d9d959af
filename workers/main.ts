import { OpenTelemetryActivityInboundInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadSettings } from '../config/settings';
import { createDb } from '../db/client';
import { temporalSecurity } from '../temporal/connection';
import { createLogger } from '../shared/logger';
import { setUpTracing } from '../shared/tracing';
import { composeWorker } from './compose';
import { startHealthServer } from './health';
import { installRuntime } from './runtime';
import { workerTuning } from './tuning';

/**
 * The saga worker: runs every saga workflow and activity on one task queue.
 * SIGINT/SIGTERM stop polling, let running tasks finish, and exit.
 */
const settings = loadSettings();
const logger = createLogger('worker', settings.LOG_LEVEL);
installRuntime(logger, { metricsPort: settings.WORKER_METRICS_PORT, metricsHost: settings.WORKER_METRICS_HOST });

const tracing = setUpTracing('saga-worker', settings.OTEL_EXPORTER_OTLP_ENDPOINT);
const db = await createDb(settings.DATABASE_URL, { statementCountFile: settings.DB_STATEMENT_COUNT_FILE });
const graph = composeWorker(settings, db, logger);
const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS, ...temporalSecurity() });
const worker = await Worker.create({
  connection,
  namespace: settings.TEMPORAL_NAMESPACE,
  taskQueue: settings.TEMPORAL_TASK_QUEUE,
  workflowBundle: { codePath: settings.WORKFLOW_BUNDLE_PATH },
  activities: graph.activities,
  // Workflow spans leave the sandbox through this sink; activity spans continue the workflow's trace.
  sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  interceptors: { activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })] },
  shutdownGraceTime: '10 seconds',
  ...workerTuning(settings),
});

logger.info({ taskQueue: settings.TEMPORAL_TASK_QUEUE, address: settings.TEMPORAL_ADDRESS }, 'worker started');
graph.start();
const health = settings.WORKER_HEALTH_PORT > 0 ? await startHealthServer(worker, { host: settings.WORKER_HEALTH_HOST, port: settings.WORKER_HEALTH_PORT }) : undefined;
try {
  await worker.run();
} finally {
  health?.close();
  await graph.stop();
  await connection.close();
  await db.$disconnect();
  await tracing.shutdown();
  logger.info('worker stopped');
}
