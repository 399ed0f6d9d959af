import { z } from 'zod';
import { parseOutboundUrl, type OutboundPolicy } from '../shared/outbound-url';

/** Development defaults of every secret: fine on a laptop, refused in production. */
export const DEV_DEFAULTS = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789',
  DEVICE_KEYS: 'dev-gate-device-key',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'admin-password',
} as const;

/**
 * Every setting the platform reads, validated once at start.
 * A bad or missing value stops the process with a message that names it.
 */
const settingsSchema = z.object({
  /**
   * Unset counts as production: the development secrets are refused and the fault switches are
   * off, so a process started by hand somewhere is safe. `make start` and the tests choose development/test.
   */
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
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
  /** The Temporal Web UI that `GET /sagas/:id` links each saga to (default: `make start`'s embedded server). */
  TEMPORAL_UI_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8233'),
  /** How long POST /vehicle-entries and friends wait for the saga's answer before replying 202. */
  SAGA_WAIT_MS: z.coerce.number().int().min(0).default(5000),
  /** Fault switches let tests and demos break domain operations; never on in production. */
  FAULTS_ENABLED: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
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
  /** HS256 secret of the API's JWTs: at least 32 bytes (the HMAC's own size). The development default is refused in production. */
  JWT_SECRET: z
    .string()
    .refine((v) => Buffer.byteLength(v, 'utf8') >= 32, 'at least 32 bytes')
    .default(DEV_DEFAULTS.JWT_SECRET),
  /** A stolen token is good until it expires: at most a day. */
  JWT_EXPIRES_IN: z
    .string()
    .regex(/^\d+[smhd]$/, 'like 15m, 1h or 24h')
    .refine((v) => durationSeconds(v) <= 24 * 3600, 'at most 24h')
    .default('1h'),
  /**
   * The gate devices that call /vehicle-entries and /vehicle-exits: comma-separated
   * `name:lots:key` (lots `*` for every lot, or lot ids joined by `|`; a key of 32 characters
   * or more). A bare key (the old form: any lot, named device-N) is accepted in development only.
   */
  DEVICE_KEYS: z
    .string()
    .default(DEV_DEFAULTS.DEVICE_KEYS)
    .transform((v, ctx) => {
      const entries = v.split(',').map((k) => k.trim()).filter(Boolean);
      if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one key' });
      return entries.map((entry, i) => parseDeviceEntry(entry, i, ctx));
    }),
  /** The admin account, created or updated at start. */
  ADMIN_EMAIL: z.email().default(DEV_DEFAULTS.ADMIN_EMAIL),
  ADMIN_PASSWORD: z.string().min(8, 'at least 8 characters').default(DEV_DEFAULTS.ADMIN_PASSWORD),
  /** Login attempts allowed per client address and minute, whatever the accounts (brute-force guard). */
  LOGIN_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** Login attempts allowed per account and minute, whatever the addresses. */
  LOGIN_ACCOUNT_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  /** Registrations allowed per client address and minute. */
  REGISTER_RATE_LIMIT: z.coerce.number().int().min(1).default(5),
  /** POST /orders and POST /reservations allowed per user and minute (each). */
  SAGA_START_RATE_LIMIT: z.coerce.number().int().min(1).default(30),
  /**
   * Which proxies' X-Forwarded-For to believe for the client address: false (default: the
   * socket's address), true (any: only behind a proxy that overwrites the header), or
   * comma-separated addresses/CIDRs of the load balancers (the better choice behind one).
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | string => (v === 'true' ? true : v === 'false' ? false : v)),
  /** A file where the process keeps its count of database statements (the benchmark's --count-statements); unset: not counted. */
  DB_STATEMENT_COUNT_FILE: z.string().min(1).optional(),
  /** The worker's Prometheus endpoint (SDK, saga and resilience metrics); 0 turns it off. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** The worker's health endpoint (GET /health/live, /health/ready: ready once it polls); 0 turns it off. */
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  WORKER_HEALTH_HOST: z.string().default('127.0.0.1'),
  /** Where that endpoint listens: this machine only unless set (a scraper elsewhere: 0.0.0.0 behind a firewall). */
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** When set, the API's GET /metrics needs `authorization: Bearer <token>` (at least 32 characters). */
  METRICS_TOKEN: z.string().min(32, 'at least 32 characters').optional(),
  /** How long each GET /health check waits for its dependency before it reads DOWN (ms). */
  HEALTH_CHECK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** OTLP/HTTP endpoint of a trace collector (e.g. http://collector:4318); tracing is off without it. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** Receives every notification (order status changes), besides each user's own webhook; checked like them. */
  NOTIFY_WEBHOOK_URL: z.url().optional(),
  /** Signs the deliveries to NOTIFY_WEBHOOK_URL (needed with it): at least 32 characters. */
  NOTIFY_WEBHOOK_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** Each subscriber's time to answer a delivery. */
  NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** After this long of failed attempts a notification is marked dead (not retried; counted in notifications_dead). */
  NOTIFY_GIVE_UP_AFTER_MS: z.coerce.number().int().min(1000).default(24 * 3_600_000),
  /** Webhooks may be plain http (development); https only otherwise. */
  WEBHOOK_ALLOW_HTTP: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Hosts webhooks may reach although they resolve to internal addresses (development, tests), comma-separated. */
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)),
  /** How often a worker delivers queued notifications, and the first retry delay (doubling to the max). */
  NOTIFY_INTERVAL_MS: z.coerce.number().int().min(10).default(500),
  NOTIFY_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(1000),
  NOTIFY_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(60_000),
  /** Deliver only notifications whose event key starts with this (sharding dispatchers); unset: all. */
  NOTIFY_EVENT_KEY_PREFIX: z.string().min(1).optional(),
  /** Reservation limits and cancellation policy (domains/reservations/reservation-policy.ts says why these defaults). */
  RESERVATION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 31).default(24),
  RESERVATION_MAX_DAYS_AHEAD: z.coerce.number().int().min(0).max(366).default(30),
  RESERVATION_MAX_ACTIVE_PER_USER: z.coerce.number().int().min(1).max(1000).default(3),
  RESERVATION_FREE_CANCEL_MINUTES: z.coerce.number().int().min(0).default(60),
  RESERVATION_CANCEL_FEE_PERCENT: z.coerce.number().int().min(0).max(100).default(50),
  /** How often a worker publishes its resilience snapshot for operators. */
  RESILIENCE_PUBLISH_MS: z.coerce.number().int().min(100).default(2000),
  /** How often a worker looks whether EXTERNAL_SERVICES_FILE changed, to apply added and removed instances. */
  SERVICES_FILE_POLL_MS: z.coerce.number().int().min(50).default(2000),
});

export type Settings = Omit<z.infer<typeof settingsSchema>, 'FAULTS_ENABLED'> & { FAULTS_ENABLED: boolean };

/** A gate device: its name (for the audit trail), the lots it may act on ('*': all) and its key. */
export interface DeviceKey {
  name: string;
  lots: string[] | '*';
  key: string;
  /** Given in the old bare-key form (development only). */
  legacy: boolean;
}

const DEVICE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
export const MIN_DEVICE_KEY_LENGTH = 32;

function parseDeviceEntry(entry: string, index: number, ctx: z.RefinementCtx): DeviceKey {
  const fail = (message: string): DeviceKey => {
    ctx.addIssue({ code: 'custom', message: `entry ${index + 1}: ${message}` });
    return { name: `device-${index + 1}`, lots: [], key: '', legacy: false };
  };
  const first = entry.indexOf(':');
  if (first < 0) {
    if (entry.length < 8) return fail('a key of at least 8 characters');
    return { name: `device-${index + 1}`, lots: '*', key: entry, legacy: true };
  }
  const second = entry.indexOf(':', first + 1);
  if (second < 0) return fail('name:lots:key');
  const name = entry.slice(0, first);
  const lots = entry.slice(first + 1, second);
  const key = entry.slice(second + 1);
  if (!DEVICE_NAME.test(name)) return fail('the name is 1 to 64 letters, digits, . _ or -');
  if (key.length < MIN_DEVICE_KEY_LENGTH) return fail(`the key of ${name} must be at least ${MIN_DEVICE_KEY_LENGTH} characters`);
  const lotIds = lots === '*' ? '*' : lots.split('|').map((l) => l.trim()).filter(Boolean);
  if (lotIds !== '*' && lotIds.length === 0) return fail(`${name} needs its lots (lot ids joined by |, or *)`);
  return { name, lots: lotIds, key, legacy: false };
}

/** Seconds of a duration like 15m, 1h or 7d. */
function durationSeconds(value: string): number {
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[value.slice(-1) as 's' | 'm' | 'h' | 'd'] ?? NaN;
  return Number(value.slice(0, -1)) * unit;
}

/** Parses settings from an environment; throws one error naming every bad variable. */
export function parseSettings(env: NodeJS.ProcessEnv = process.env, { serving = true }: { serving?: boolean } = {}): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  // Fault switches default to on only where development was chosen explicitly.
  const settings = { ...parsed.data, FAULTS_ENABLED: parsed.data.FAULTS_ENABLED ?? parsed.data.NODE_ENV !== 'production' };
  // Tools that serve nothing (the bundle builder) hold no secrets: only the platform's processes are refused them.
  if (serving && settings.NODE_ENV === 'production') {
    const problems: string[] = [];
    if (settings.FAULTS_ENABLED) problems.push('FAULTS_ENABLED: must be false in production');
    if (settings.JWT_SECRET === DEV_DEFAULTS.JWT_SECRET) problems.push('JWT_SECRET: the development default is not allowed in production');
    if (settings.DEVICE_KEYS.some((d) => d.key === DEV_DEFAULTS.DEVICE_KEYS)) problems.push('DEVICE_KEYS: the development default is not allowed in production');
    if (settings.DEVICE_KEYS.some((d) => d.legacy)) problems.push(`DEVICE_KEYS: use name:lots:key entries (keys of ${MIN_DEVICE_KEY_LENGTH}+ characters) outside development`);
    if (settings.ADMIN_PASSWORD === DEV_DEFAULTS.ADMIN_PASSWORD) problems.push('ADMIN_PASSWORD: the development default is not allowed in production');
    if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const problems: string[] = [];
  if (settings.NOTIFY_WEBHOOK_URL) {
    try {
      parseOutboundUrl(settings.NOTIFY_WEBHOOK_URL, outboundPolicyOf(settings));
    } catch (err) {
      problems.push(`NOTIFY_WEBHOOK_URL: ${(err as Error).message}`);
    }
    if (!settings.NOTIFY_WEBHOOK_SECRET) problems.push('NOTIFY_WEBHOOK_SECRET: needed with NOTIFY_WEBHOOK_URL (every delivery is signed)');
  }
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return settings;
}

/** The reservation policy the settings describe (the API prices and limits with it, the worker re-checks). */
export function reservationPolicyOf(settings: Settings) {
  return {
    maxHours: settings.RESERVATION_MAX_HOURS,
    maxDaysAhead: settings.RESERVATION_MAX_DAYS_AHEAD,
    maxActivePerUser: settings.RESERVATION_MAX_ACTIVE_PER_USER,
    freeCancelMinutes: settings.RESERVATION_FREE_CANCEL_MINUTES,
    cancelFeePercent: settings.RESERVATION_CANCEL_FEE_PERCENT,
  };
}

/** The API's request rate limits (api/plugins/rate-limits.ts). */
export function rateLimitsOf(settings: Settings) {
  return {
    loginPerAddress: settings.LOGIN_RATE_LIMIT,
    loginPerAccount: settings.LOGIN_ACCOUNT_RATE_LIMIT,
    registrationsPerAddress: settings.REGISTER_RATE_LIMIT,
    sagaStartsPerUser: settings.SAGA_START_RATE_LIMIT,
  };
}

/** Where webhooks may point (shared/outbound-url.ts). */
export function outboundPolicyOf(settings: Pick<Settings, 'WEBHOOK_ALLOW_HTTP' | 'WEBHOOK_ALLOWED_HOSTS'>): OutboundPolicy {
  return { allowHttp: settings.WEBHOOK_ALLOW_HTTP, allowHosts: settings.WEBHOOK_ALLOWED_HOSTS };
}

let cached: Settings | undefined;

/** The process's settings, read on first use. */
export function loadSettings(): Settings {
  cached ??= parseSettings();
  return cached;
}
