import { Runtime } from '@temporalio/worker';
import { hostname } from 'node:os';
import { createActivities } from '../activities';
import { outboundPolicyOf, reservationPolicyOf, type Settings } from '../config/settings';
import { loadExternalServicesConfig } from '../config/external-services';
import type { Db } from '../db/client';
import { BusinessRejection, createDomains } from '../domains';
import { CircuitBreaker, ResilienceRegistry, createPrismaCacheStore } from '../resilience';
import { watchServicesFile, type ServicesFileWatch } from '../resilience/services-file-watch';
import type { Logger } from '../shared/logger';
import { createAnprRecognition } from '../vendors/anpr';
import { createRegistryPaymentGateway } from '../vendors/payment-gateway';
import { startNotificationDispatcher } from './notification-dispatcher';
import { exportResilienceMetrics } from './resilience-metrics';

/**
 * The worker's object graph: domains on the database, external vendors through the
 * resilience layer, and the activities on top. Returns what the entrypoint runs and stops.
 */
export function composeWorker(settings: Settings, db: Db, logger: Logger) {
  // Cached vendor answers live in the database: a read confirmed before a worker restart
  // still lets a car in while every vendor is down (within the TTL).
  const registry = new ResilienceRegistry({ config: loadExternalServicesConfig(), logger, cacheStore: createPrismaCacheStore(db) });
  const databaseBreaker = new CircuitBreaker({
    name: 'database',
    slidingWindowSize: settings.DATABASE_BREAKER_WINDOW,
    minimumNumberOfCalls: settings.DATABASE_BREAKER_MIN_CALLS,
    failureRateThreshold: settings.DATABASE_BREAKER_FAILURE_RATE,
    waitDurationInOpenState: settings.DATABASE_BREAKER_WAIT_MS,
    permittedNumberOfCallsInHalfOpenState: settings.DATABASE_BREAKER_HALF_OPEN_CALLS,
    // A business "no" is a healthy database.
    isFailure: (err) => !(err instanceof BusinessRejection),
    onStateChange: (from, to) =>
      logger.warn({ event: 'circuit_breaker.state_changed', service: 'database', from, to }, `database breaker ${from} → ${to}`),
  });
  const domains = createDomains(db, {
    faultsEnabled: settings.FAULTS_ENABLED,
    recognition: createAnprRecognition(registry),
    paymentGateway: createRegistryPaymentGateway(registry),
    reservationPolicy: reservationPolicyOf(settings),
    outbound: outboundPolicyOf(settings),
    notifications: {
      globalWebhookUrl: settings.NOTIFY_WEBHOOK_URL,
      globalWebhookSecret: settings.NOTIFY_WEBHOOK_SECRET,
      giveUpAfterMs: settings.NOTIFY_GIVE_UP_AFTER_MS,
      backoffBaseMs: settings.NOTIFY_BACKOFF_BASE_MS,
      backoffMaxMs: settings.NOTIFY_BACKOFF_MAX_MS,
      ...(settings.NOTIFY_EVENT_KEY_PREFIX && { eventKeyPrefix: settings.NOTIFY_EVENT_KEY_PREFIX }),
    },
  });
  const activities = createActivities({ ...domains, databaseBreaker });

  const workerId = `${hostname()}:${process.pid}`;
  const collectMetrics = exportResilienceMetrics(Runtime.instance().metricMeter, registry, [databaseBreaker]);
  const publish = async () => {
    collectMetrics();
    const snapshot = JSON.stringify({ ...registry.snapshot(), databaseBreaker: databaseBreaker.snapshot() });
    const updatedAt = new Date();
    await db.workerSnapshot.upsert({ where: { workerId }, create: { workerId, snapshot, updatedAt }, update: { snapshot, updatedAt } });
  };
  let timer: NodeJS.Timeout | undefined;
  let dispatcher: { stop(): void } | undefined;
  let servicesFile: ServicesFileWatch | undefined;

  return {
    activities,
    registry,
    /** Starts health checks and snapshot publishing. */
    start() {
      registry.start();
      const file = process.env.EXTERNAL_SERVICES_FILE?.trim();
      // Instances added to or removed from the services file apply without a restart.
      if (file) servicesFile = watchServicesFile(file, registry, logger, settings.SERVICES_FILE_POLL_MS);
      timer = setInterval(() => publish().catch((err) => logger.warn({ err }, 'could not publish the resilience snapshot')), settings.RESILIENCE_PUBLISH_MS);
      timer.unref();
      void publish().catch(() => undefined);
      dispatcher = startNotificationDispatcher(domains.notifications, logger, {
        intervalMs: settings.NOTIFY_INTERVAL_MS,
        timeoutMs: settings.NOTIFY_TIMEOUT_MS,
        policy: outboundPolicyOf(settings),
        sequence: () => domains.events.sequence(),
      });
    },
    async stop() {
      clearInterval(timer);
      servicesFile?.stop();
      dispatcher?.stop();
      registry.stop();
      await db.workerSnapshot.deleteMany({ where: { workerId } }).catch(() => undefined);
    },
  };
}
