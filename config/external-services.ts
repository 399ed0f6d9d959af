import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The external vendors the domains call over HTTP, and how the resilience layer
 * treats each: instances and balancing, health checks, circuit breaker, alternatives.
 *
 * Read from the JSON file named by EXTERNAL_SERVICES_FILE when set; otherwise built
 * from ANPR_URLS, ANPR_BACKUP_URLS, PAYMENT_URLS, PAYMENT_BACKUP_URLS (comma-separated).
 * Omitted fields take the defaults below (breaker defaults from seed 003).
 */

export const BREAKER_DEFAULTS = {
  slidingWindowSize: 100,
  minimumNumberOfCalls: 10,
  failureRateThreshold: 50,
  waitDurationInOpenState: 60_000,
  permittedNumberOfCallsInHalfOpenState: 10,
} as const;

export const HEALTH_CHECK_DEFAULTS = {
  intervalMs: 5_000,
  timeoutMs: 1_000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
} as const;

export const DEFAULT_CALL_TIMEOUT_MS = 2_000;
export const DEFAULT_CACHE_TTL_SECONDS = 300;

const positiveInt = () => z.number().int().min(1);

const breakerSchema = z.object({
  slidingWindowSize: positiveInt().default(BREAKER_DEFAULTS.slidingWindowSize),
  minimumNumberOfCalls: positiveInt().default(BREAKER_DEFAULTS.minimumNumberOfCalls),
  failureRateThreshold: z.number().gt(0).max(100).default(BREAKER_DEFAULTS.failureRateThreshold),
  waitDurationInOpenState: z.number().int().min(0).default(BREAKER_DEFAULTS.waitDurationInOpenState),
  permittedNumberOfCallsInHalfOpenState: positiveInt().default(BREAKER_DEFAULTS.permittedNumberOfCallsInHalfOpenState),
});

const healthCheckSchema = z.object({
  intervalMs: positiveInt().default(HEALTH_CHECK_DEFAULTS.intervalMs),
  timeoutMs: positiveInt().default(HEALTH_CHECK_DEFAULTS.timeoutMs),
  healthyThreshold: positiveInt().default(HEALTH_CHECK_DEFAULTS.healthyThreshold),
  unhealthyThreshold: positiveInt().default(HEALTH_CHECK_DEFAULTS.unhealthyThreshold),
});

export const instanceSchema = z.object({
  id: z.string().min(1),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  weight: positiveInt().default(1),
  /** Cap on concurrent calls to this instance (seed 003's max_connections); none when absent. */
  maxConnections: positiveInt().optional(),
  tags: z.array(z.string().min(1).max(64)).max(32).default([]),
  metadata: z.record(z.string().min(1).max(64), z.string().max(256)).default({}),
});

export const BALANCERS = ['round_robin', 'least_connections', 'random', 'weighted'] as const;

const instancesSchema = z
  .array(instanceSchema)
  .min(1, 'at least one instance is needed')
  .superRefine((instances, ctx) => {
    const seen = new Set<string>();
    instances.forEach((instance, i) => {
      if (seen.has(instance.id)) {
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate instance id "${instance.id}"` });
      }
      seen.add(instance.id);
    });
  });

const serviceSchema = z.object({
  instances: instancesSchema,
  healthPath: z.string().startsWith('/', 'must start with /').default('/health'),
  balancer: z.enum(BALANCERS).default('round_robin'),
  timeoutMs: positiveInt().default(DEFAULT_CALL_TIMEOUT_MS),
  breaker: breakerSchema.prefault({}),
  healthCheck: healthCheckSchema.prefault({}),
  alternatives: z.array(z.string().min(1)).default([]),
});

export const externalServicesConfigSchema = z
  .object({
    services: z.record(z.string().min(1), serviceSchema),
    cache: z.object({ ttlSeconds: z.number().min(0).default(DEFAULT_CACHE_TTL_SECONDS) }).prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const [name, service] of Object.entries(config.services)) {
      service.alternatives.forEach((alt, i) => {
        if (alt === name) {
          ctx.addIssue({ code: 'custom', path: ['services', name, 'alternatives', i], message: 'a service cannot be its own alternative' });
        } else if (!(alt in config.services)) {
          ctx.addIssue({ code: 'custom', path: ['services', name, 'alternatives', i], message: `unknown service "${alt}"` });
        }
      });
    }
  });

export type ExternalServicesConfig = z.infer<typeof externalServicesConfigSchema>;
export type ExternalServicesConfigInput = z.input<typeof externalServicesConfigSchema>;
export type ExternalServiceConfig = ExternalServicesConfig['services'][string];
export type ExternalServiceConfigInput = z.input<typeof serviceSchema>;
export type ExternalInstanceConfig = ExternalServiceConfig['instances'][number];
export type BreakerConfig = ExternalServiceConfig['breaker'];
export type HealthCheckConfig = ExternalServiceConfig['healthCheck'];

/** Validates a config; throws one error naming every bad field (e.g. services.anpr.breaker.failureRateThreshold). */
export function parseExternalServicesConfig(raw: unknown, source = 'external services config'): ExternalServicesConfig {
  const parsed = externalServicesConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid ${source}:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

export const DEFAULT_SERVICE_URLS = {
  ANPR_URLS: 'http://127.0.0.1:4101,http://127.0.0.1:4102',
  ANPR_BACKUP_URLS: 'http://127.0.0.1:4103',
  PAYMENT_URLS: 'http://127.0.0.1:4201,http://127.0.0.1:4202',
  PAYMENT_BACKUP_URLS: 'http://127.0.0.1:4203',
} as const;

export type ServiceUrlVariable = keyof typeof DEFAULT_SERVICE_URLS;

/** The URLs of one env variable (comma-separated; blanks ignored); throws naming the variable. */
export function serviceUrlsFromEnv(name: ServiceUrlVariable, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env[name]?.trim() ? env[name]! : DEFAULT_SERVICE_URLS[name];
  const urls = raw
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  if (urls.length === 0) throw new Error(`Invalid configuration:\n  ${name}: at least one URL is needed`);
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new Error(`Invalid configuration:\n  ${name}: "${url}" is not an http(s) URL`);
    }
  }
  return urls;
}

/** The default topology: anpr → anpr-backup, payment → payment-backup, URLs from the environment. */
export function defaultExternalServicesConfig(env: NodeJS.ProcessEnv = process.env): ExternalServicesConfig {
  const service = (name: string, variable: ServiceUrlVariable, alternatives: string[]): ExternalServiceConfigInput => ({
    instances: serviceUrlsFromEnv(variable, env).map((url, i) => ({ id: `${name}-${i + 1}`, url })),
    alternatives,
  });
  return parseExternalServicesConfig({
    services: {
      anpr: service('anpr', 'ANPR_URLS', ['anpr-backup']),
      'anpr-backup': service('anpr-backup', 'ANPR_BACKUP_URLS', []),
      payment: service('payment', 'PAYMENT_URLS', ['payment-backup']),
      'payment-backup': service('payment-backup', 'PAYMENT_BACKUP_URLS', []),
    },
    cache: { ttlSeconds: DEFAULT_CACHE_TTL_SECONDS },
  });
}

/** The config of this process: EXTERNAL_SERVICES_FILE when set, else the defaults from env URLs. */
export function loadExternalServicesConfig(env: NodeJS.ProcessEnv = process.env): ExternalServicesConfig {
  const file = env.EXTERNAL_SERVICES_FILE?.trim();
  if (!file) return defaultExternalServicesConfig(env);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Invalid configuration:\n  EXTERNAL_SERVICES_FILE: cannot read JSON from ${file}: ${(err as Error).message}`);
  }
  return parseExternalServicesConfig(raw, `external services config in ${file}`);
}
