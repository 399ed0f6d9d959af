import { loadSettings } from '../config/settings';
import { createDb } from '../db/client';
import { createDomains } from '../domains';
import { createLogger } from '../shared/logger';
import { connectClient } from '../temporal/connection';
import { createSagaClient } from '../temporal/saga-client';
import { buildApp } from './app';

/** The HTTP API process: builds the app and listens; SIGINT/SIGTERM drain requests and exit. */
const settings = loadSettings();
const logger = createLogger('api', settings.LOG_LEVEL);
const db = await createDb(settings.DATABASE_URL);
const temporal = await connectClient({ address: settings.TEMPORAL_ADDRESS, namespace: settings.TEMPORAL_NAMESPACE });
const app = await buildApp(
  {
    db,
    domains: createDomains(db, { faultsEnabled: settings.FAULTS_ENABLED }),
    temporal,
    sagas: createSagaClient(temporal, { taskQueue: settings.TEMPORAL_TASK_QUEUE, waitMs: settings.SAGA_WAIT_MS }),
    faultsEnabled: settings.FAULTS_ENABLED,
    auth: { secret: settings.JWT_SECRET, expiresIn: settings.JWT_EXPIRES_IN, deviceKeys: settings.DEVICE_KEYS },
  },
  { loggerInstance: logger },
);

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'api stopping: draining requests');
  await app.close();
  await temporal.connection.close();
  await db.$disconnect();
  logger.info('api stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

await app.listen({ port: settings.PORT, host: settings.HOST });
