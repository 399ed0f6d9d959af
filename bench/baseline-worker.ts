import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadSettings } from '../config/settings';
import { temporalSecurity } from '../temporal/connection';
import { workerTuning } from '../workers/tuning';
import { baselineActivities, createVendorActivity } from './baseline-activities';

/**
 * The engine baseline's worker (bench/baseline-workflow.ts): its own process and task queue,
 * the pre-built baseline bundle, the same WORKER_* tuning settings as the saga worker.
 * BASELINE_VENDOR_URL: what the fair baselines' vendor step fetches (a simulator's /health).
 *
 *   TEMPORAL_ADDRESS=... TEMPORAL_TASK_QUEUE=bench-baseline WORKFLOW_BUNDLE_PATH=... node --import tsx bench/baseline-worker.ts
 */
const settings = loadSettings();
Runtime.install({
  logger: new DefaultLogger('WARN'),
  ...(settings.WORKER_METRICS_PORT > 0 && {
    telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${settings.WORKER_METRICS_PORT}` } } },
  }),
});
const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS, ...temporalSecurity() });
const worker = await Worker.create({
  connection,
  namespace: settings.TEMPORAL_NAMESPACE,
  taskQueue: settings.TEMPORAL_TASK_QUEUE,
  workflowBundle: { codePath: settings.WORKFLOW_BUNDLE_PATH },
  // The fair baselines' vendor step calls this (the bench points it at a payment simulator's /health).
  activities: { ...baselineActivities, ...createVendorActivity(process.env.BASELINE_VENDOR_URL ?? 'http://127.0.0.1:4201/health') },
  shutdownGraceTime: '10 seconds',
  ...workerTuning(settings),
});
console.log(JSON.stringify({ msg: 'worker started', taskQueue: settings.TEMPORAL_TASK_QUEUE }));
try {
  await worker.run();
} finally {
  await connection.close();
}
