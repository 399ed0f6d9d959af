import { loadSettings, outboundPolicyOf, rateLimitsOf, reservationPolicyOf } from '../config/settings';
import { createDb } from '../db/client';
import { createDomains } from '../domains';
import { createLogger } from '../shared/logger';
import { setUpTracing } from '../shared/tracing';
import { connectClient } from '../temporal/connection';
import { createSagaClient } from '../temporal/saga-client';
import { buildApp } from './app';

/** The HTTP API process: builds the app and listens; SIGINT/SIGTERM drain requests and exit. */
const settings = loadSettings();
const logger = createLogger('api', settings.LOG_LEVEL);
const tracing = setUpTracing('saga-api', settings.OTEL_EXPORTER_OTLP_ENDPOINT);
const db = await createDb(settings.DATABASE_URL, { statementCountFile: settings.DB_STATEMENT_COUNT_FILE });
const temporal = await connectClient({ address: settings.TEMPORAL_ADDRESS, namespace: settings.TEMPORAL_NAMESPACE });
const domains = createDomains(db, {
  faultsEnabled: settings.FAULTS_ENABLED,
  reservationPolicy: reservationPolicyOf(settings),
  outbound: outboundPolicyOf(settings),
});
await domains.users.ensureAdmin(settings.ADMIN_EMAIL, settings.ADMIN_PASSWORD);
const app = await buildApp(
  {
    db,
    domains,
    temporal,
    sagas: createSagaClient(temporal, {
      taskQueue: settings.TEMPORAL_TASK_QUEUE,
      waitMs: settings.SAGA_WAIT_MS,
      webUiUrl: settings.TEMPORAL_UI_URL,
    }),
    faultsEnabled: settings.FAULTS_ENABLED,
    auth: {
      secret: settings.JWT_SECRET,
      expiresIn: settings.JWT_EXPIRES_IN,
      devices: settings.DEVICE_KEYS,
      tokenVersionOf: (userId) => domains.users.tokenVersionOf(userId),
    },
    rateLimits: rateLimitsOf(settings),
    metricsToken: settings.METRICS_TOKEN,
    healthCheckTimeoutMs: settings.HEALTH_CHECK_TIMEOUT_MS,
  },
  { loggerInstance: logger, trustProxy: settings.TRUST_PROXY },
);

// While draining, answers close their connection, so that idle keep-alive sockets do not hold the exit.
let stopping = false;
app.addHook('onSend', async (_request, reply) => {
  if (stopping) reply.header('connection', 'close');
});
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api stopping: draining requests');
  await app.close();
  await temporal.connection.close();
  await db.$disconnect();
  await tracing.shutdown();
  logger.info('api stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

await app.listen({ port: settings.PORT, host: settings.HOST });
