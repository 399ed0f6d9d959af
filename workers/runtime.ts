import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../shared/logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Installs the Temporal runtime once per process: the SDK's logs (worker, workflows,
 * activities, each with its workflowId, runId and activity) go to pino, and its metrics
 * (task latency, slots, sticky cache, plus the saga and resilience metrics) are served in
 * Prometheus format on `metricsHost:metricsPort` (0: no metrics endpoint; this machine only by default).
 */
export function installRuntime(logger: Logger, { metricsPort, metricsHost = '127.0.0.1' }: { metricsPort: number; metricsHost?: string }): void {
  const level = (logger.level.toUpperCase() in LEVELS ? logger.level.toUpperCase() : 'INFO') as LogLevel;
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
      logger[LEVELS[entryLevel]]({ ...meta }, message);
    }),
    ...(metricsPort > 0 && {
      telemetryOptions: { metrics: { prometheus: { bindAddress: `${metricsHost.includes(':') ? `[${metricsHost}]` : metricsHost}:${metricsPort}` } } },
    }),
  });
}
