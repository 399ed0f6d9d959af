import { z } from 'zod';

/** Development defaults of every secret: fine on a laptop, refused in production. */
export const DEV_DEFAULTS = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me',
  DEVICE_KEYS: 'dev-gate-device-key',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'admin-password',
} as const;

/**
 * Every setting the platform reads, validated once at start.
 * A bad or missing value stops the process with a message that names it.
 */
const settingsSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:|postgres(ql)?:\/\/)/, 'must be a file: (SQLite) or postgres:// URL')
    .default('file:./data/dev.db'),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('sagas'),
  /** How long POST /vehicle-entries and friends wait for the saga's answer before replying 202. */
  SAGA_WAIT_MS: z.coerce.number().int().min(0).default(5000),
  /** Fault switches let tests and demos break domain operations; never on in production. */
  FAULTS_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  WORKFLOW_BUNDLE_PATH: z.string().default('.tmp/workflow-bundle.js'),
  /**
   * Worker tuning (workers/main.ts); unset, each keeps the Temporal SDK's default (workflow tasks 40,
   * activities 100, local activities 100, cached workflows from the heap size, 10 pollers each).
   * `npm run bench` measures them (bench/).
   */
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).optional(),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
  WORKER_WORKFLOW_POLLERS: z.coerce.number().int().min(2).optional(),
  WORKER_ACTIVITY_POLLERS: z.coerce.number().int().min(1).optional(),
  /** The breaker in front of the project database (steps that ask for one), seed 003's semantics. */
  DATABASE_BREAKER_WINDOW: z.coerce.number().int().min(1).default(20),
  DATABASE_BREAKER_MIN_CALLS: z.coerce.number().int().min(1).default(10),
  DATABASE_BREAKER_FAILURE_RATE: z.coerce.number().min(1).max(100).default(50),
  DATABASE_BREAKER_WAIT_MS: z.coerce.number().int().min(0).default(10_000),
  DATABASE_BREAKER_HALF_OPEN_CALLS: z.coerce.number().int().min(1).default(3),
  /** HS256 secret of the API's JWTs. The development default is refused in production. */
  JWT_SECRET: z.string().min(16, 'at least 16 characters').default(DEV_DEFAULTS.JWT_SECRET),
  JWT_EXPIRES_IN: z.string().regex(/^\d+[smhd]$/, 'like 15m, 1h or 7d').default('1h'),
  /** Keys of the gate devices that call /vehicle-entries and /vehicle-exits (comma-separated). */
  DEVICE_KEYS: z
    .string()
    .default(DEV_DEFAULTS.DEVICE_KEYS)
    .transform((v) => v.split(',').map((k) => k.trim()).filter(Boolean))
    .pipe(z.array(z.string().min(8, 'each key at least 8 characters')).min(1, 'at least one key')),
  /** The admin account, created or updated at start. */
  ADMIN_EMAIL: z.email().default(DEV_DEFAULTS.ADMIN_EMAIL),
  ADMIN_PASSWORD: z.string().min(8, 'at least 8 characters').default(DEV_DEFAULTS.ADMIN_PASSWORD),
  /** Login attempts allowed per client and minute (brute-force guard). */
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** The worker's Prometheus endpoint (SDK, saga and resilience metrics); 0 turns it off. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** OTLP/HTTP endpoint of a trace collector (e.g. http://collector:4318); tracing is off without it. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** Receives every notification (order status changes), besides each user's own webhook. */
  NOTIFY_WEBHOOK_URL: z.url().optional(),
  /** How often a worker delivers queued notifications, and the first retry delay (doubling to the max). */
  NOTIFY_INTERVAL_MS: z.coerce.number().int().min(10).default(500),
  NOTIFY_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(1000),
  NOTIFY_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(60_000),
  /** Deliver only notifications whose event key starts with this (sharding dispatchers); unset: all. */
  NOTIFY_EVENT_KEY_PREFIX: z.string().min(1).optional(),
  /** How often a worker publishes its resilience snapshot for operators. */
  RESILIENCE_PUBLISH_MS: z.coerce.number().int().min(100).default(2000),
  /** How often a worker looks whether EXTERNAL_SERVICES_FILE changed, to apply added and removed instances. */
  SERVICES_FILE_POLL_MS: z.coerce.number().int().min(50).default(2000),
});

export type Settings = z.infer<typeof settingsSchema>;

/** Parses settings from an environment; throws one error naming every bad variable. */
export function parseSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const settings = parsed.data;
  if (settings.NODE_ENV === 'production') {
    const problems: string[] = [];
    if (settings.FAULTS_ENABLED) problems.push('FAULTS_ENABLED: must be false in production');
    if (settings.JWT_SECRET === DEV_DEFAULTS.JWT_SECRET) problems.push('JWT_SECRET: the development default is not allowed in production');
    if (settings.DEVICE_KEYS.includes(DEV_DEFAULTS.DEVICE_KEYS)) problems.push('DEVICE_KEYS: the development default is not allowed in production');
    if (settings.ADMIN_PASSWORD === DEV_DEFAULTS.ADMIN_PASSWORD) problems.push('ADMIN_PASSWORD: the development default is not allowed in production');
    if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return settings;
}

let cached: Settings | undefined;

/** The process's settings, read on first use. */
export function loadSettings(): Settings {
  cached ??= parseSettings();
  return cached;
}
