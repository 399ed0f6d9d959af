import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/saga/search-attributes';
import { platformEnvNames, repoPath } from './env-names';

/**
 * docker-compose.temporal.yml, the Dockerfile and ops/: no Docker engine runs here, so these
 * are checked as files: by `docker compose config` where the compose plugin exists, and by
 * reading the YAML (the `yaml` package that @fastify/swagger and vite already bring in).
 */
const COMPOSE_FILE = 'docker-compose.temporal.yml';
const composeText = readFileSync(repoPath(COMPOSE_FILE), 'utf8');

/** Secrets the file requires (`${X:?...}`), with placeholder values for `docker compose config`. */
const REQUIRED = [...new Set([...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map((m) => m[1]!))];
const PLACEHOLDERS = Object.fromEntries(REQUIRED.map((name) => [name, `placeholder-${name.toLowerCase()}-0123456789`]));

const hasComposePlugin = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;

type YamlModule = { parse(text: string, options?: { merge?: boolean }): unknown };
const yaml: YamlModule | undefined = (() => {
  try {
    return createRequire(import.meta.url)('yaml') as YamlModule;
  } catch {
    return undefined;
  }
})();

interface Service {
  image?: string;
  build?: { target?: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean | null>;
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  volumes?: string[];
  deploy?: { replicas?: number };
}
const compose = yaml?.parse(composeText, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown> } | undefined;
const services = compose?.services ?? {};
/** The platform's services: the ones built from the repository's Dockerfile. */
const platformServices = Object.entries(services).filter(([, s]) => s.build !== undefined);
const env = (name: string) => Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]));

describe.skipIf(!hasComposePlugin)('docker compose config (the compose plugin is present)', () => {
  const run = (extraEnv: Record<string, string>) =>
    spawnSync('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--quiet'], {
      cwd: repoPath('.'),
      env: { ...process.env, ...extraEnv },
      encoding: 'utf8',
    });

  it('accepts the file when the secrets are set', () => {
    const result = run(PLACEHOLDERS);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('refuses to start without the secrets, naming them', () => {
    const withoutSecrets = Object.fromEntries(REQUIRED.map((name) => [name, '']));
    const result = run(withoutSecrets);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/set [A-Z_]+/);
  });
});

// No compose plugin here (Docker is only a client on these machines): the YAML checks below
// still run. Without the yaml package they cannot, and say why.
describe.skipIf(!yaml)(`${COMPOSE_FILE} (read as YAML${yaml ? '' : ': the yaml package is missing, so skipped'})`, () => {
  it('has the whole production shape', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'temporal-db', 'temporal-schema', 'temporal', 'temporal-namespace', 'temporal-ui', 'temporal-admin-tools',
        'app-db', 'migrate', 'api', 'worker', 'simulators', 'prometheus', 'grafana',
      ].sort(),
    );
  });

  it('pins every image, with Temporal server 1.29.x, its admin tools and Web UI 2.42.x', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/^[\w./-]+:[\w.${}:-]+$/);
      expect(s.image, name).not.toMatch(/:latest$/);
    }
    expect(services.temporal?.image).toMatch(/^temporalio\/server:1\.29\.\d+$/);
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:2\.42\.\d+$/);
    for (const name of ['temporal-schema', 'temporal-namespace', 'temporal-admin-tools']) {
      expect(services[name]?.image, name).toMatch(/^temporalio\/admin-tools:1\.29\.\d+/);
    }
    expect(services['temporal-ui']?.ports).toContain('127.0.0.1:8233:8080');
  });

  it('runs Temporal on PostgreSQL, on a server apart from the platform database, from the cluster profile\'s own files', () => {
    expect(env('temporal').TEMPORAL_DB_HOST).toBe('temporal-db');
    expect(env('temporal-schema').TEMPORAL_DB_HOST).toBe('temporal-db');
    expect(services.temporal?.volumes).toContain('./ops/temporal:/etc/temporal/ops:ro');
    expect(services.temporal?.entrypoint?.join(' ')).toContain('--config config --env cluster');
    expect(env('temporal').TEMPORAL_DYNAMIC_CONFIG_FILE).toBe('/etc/temporal/ops/dynamicconfig/production-sql.yaml');
    expect(existsSync(repoPath('ops/temporal/config/cluster.yaml'))).toBe(true);
    expect(services['temporal-db']?.image).toMatch(/^postgres:/);
    expect(services['app-db']?.image).toMatch(/^postgres:/);
    expect(services.temporal?.depends_on).toMatchObject({ 'temporal-schema': { condition: 'service_completed_successfully' } });
  });

  it('runs the API and the workers from the runtime image (built JavaScript), the migrations and the simulators from the tools image', () => {
    expect(platformServices.map(([name]) => name).sort()).toEqual(['api', 'migrate', 'simulators', 'worker']);
    const targetOf = (name: string) => services[name]?.build?.target;
    expect(['api', 'worker'].map(targetOf)).toEqual(['runtime', 'runtime']);
    expect(['migrate', 'simulators'].map(targetOf)).toEqual(['tools', 'tools']);
    // One image per target, and each target is a stage of the Dockerfile.
    expect(services.api?.image).toBe(services.worker?.image);
    expect(services.migrate?.image).toBe(services.simulators?.image);
    expect(services.api?.image).not.toBe(services.migrate?.image);
    const stages = [...readFileSync(repoPath('Dockerfile'), 'utf8').matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(expect.arrayContaining(['runtime', 'tools']));
    // The runtime entries are scripts/build-js.ts's outputs, under the dist/ the Dockerfile builds them into.
    expect(services.api?.command).toEqual(['node', 'dist/api.mjs']);
    expect(services.worker?.command).toEqual(['node', 'dist/worker.mjs']);
    const simulators = services.simulators?.command?.find((arg) => arg.endsWith('.ts'));
    expect(simulators).toBe('simulators/start.ts');
    expect(existsSync(repoPath(simulators!))).toBe(true);
    expect(services.migrate?.command).toEqual(['npx', '--no-install', 'prisma', 'migrate', 'deploy']);
    for (const name of ['api', 'worker']) {
      expect(services[name]?.depends_on, name).toMatchObject({ migrate: { condition: 'service_completed_successfully' } });
    }
    expect(services.worker?.deploy?.replicas).toBeGreaterThanOrEqual(2);
  });

  it('gives the platform services only variables the code reads', () => {
    const known = platformEnvNames();
    const unknown = platformServices.flatMap(([name, s]) => Object.keys(s.environment ?? {}).filter((v) => !known.has(v)).map((v) => `${name}: ${v}`));
    expect(unknown).toEqual([]);
  });

  it('runs the API and the workers in production mode, on PostgreSQL, with secrets that must be set', () => {
    for (const name of ['api', 'worker']) {
      const e = env(name);
      expect(e.NODE_ENV, name).toBe('production');
      expect(e.FAULTS_ENABLED, name).toBe('false');
      expect(e.DATABASE_URL, name).toMatch(/^postgres:\/\/saga:\$\{APP_DB_PASSWORD:\?[^}]*\}@app-db:5432\/saga$/);
      for (const secret of ['JWT_SECRET', 'DEVICE_KEYS', 'ADMIN_PASSWORD']) expect(e[secret], `${name} ${secret}`).toMatch(new RegExp(`^\\$\\{${secret}:\\?`));
      expect(e.TEMPORAL_ADDRESS, name).toBe('temporal:7233');
    }
    expect(env('migrate').DATABASE_URL).toBe(env('api').DATABASE_URL);
    expect(env('api').HOST).toBe('0.0.0.0');
    expect(env('simulators').SIMULATOR_HOST).toBe('0.0.0.0');
  });

  it('points the workers at the simulators, which listen on the same URLs', () => {
    for (const v of ['ANPR_URLS', 'ANPR_BACKUP_URLS', 'PAYMENT_URLS', 'PAYMENT_BACKUP_URLS']) {
      expect(env('worker')[v], v).toMatch(/^http:\/\/simulators:\d+/);
      expect(env('simulators')[v], v).toBe(env('worker')[v]);
    }
  });

  it('refers only to services, volumes and files that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const dep of deps) expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
      for (const volume of s.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(repoPath(source)), `${name}: ${source}`).toBe(true);
        else expect(compose?.volumes ?? {}, `${name}: volume ${source}`).toHaveProperty(source);
      }
    }
    const hostPorts = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':').slice(0, -1).join(':')));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('publishes Temporal, its Web UI, Prometheus and Grafana on 127.0.0.1 only', () => {
    for (const name of ['temporal', 'temporal-ui', 'prometheus', 'grafana']) {
      for (const port of services[name]?.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('registers the search attributes the sagas set', () => {
    const script = readFileSync(repoPath('ops/temporal/setup-namespace.sh'), 'utf8');
    const listed = /for name in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/) ?? [];
    expect(listed.sort()).toEqual(SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).sort());
    // The script creates them as Keyword: another type needs the script extended.
    expect(SEARCH_ATTRIBUTE_KEYS.filter((k) => k.type !== 'KEYWORD').map((k) => k.name)).toEqual([]);
    expect(env('temporal-namespace').NAMESPACE).toBe('default');
  });

  it('has Prometheus scrape the API and every worker on the ports they are given', () => {
    const prometheus = yaml!.parse(readFileSync(repoPath('ops/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs?: Array<{ targets: string[] }>; dns_sd_configs?: Array<{ names: string[]; port: number }> }>;
    };
    const job = (name: string) => prometheus.scrape_configs.find((j) => j.job_name === name);
    expect(job('saga-api')?.metrics_path).toBe('/metrics');
    expect(job('saga-api')?.static_configs?.[0]?.targets).toEqual([`api:${env('api').PORT}`]);
    expect(job('saga-worker')?.dns_sd_configs?.[0]).toMatchObject({ names: ['worker'], port: Number(env('worker').WORKER_METRICS_PORT) });
    expect(job('temporal-server')?.static_configs?.[0]?.targets).toEqual([`temporal:${env('temporal').TEMPORAL_METRICS_ADDRESS?.split(':')[1]}`]);
    expect(services.prometheus?.volumes).toContain('./ops/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  it('provisions Grafana with the Prometheus datasource and the dashboards folder', () => {
    const datasources = yaml!.parse(readFileSync(repoPath('ops/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: Array<{ uid: string; type: string; url: string }>;
    };
    expect(datasources.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' });
    const dashboards = yaml!.parse(readFileSync(repoPath('ops/grafana/provisioning/dashboards/saga-platform.yml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    const path = dashboards.providers[0]!.options.path;
    expect(services.grafana?.volumes).toContain(`./ops/grafana/dashboards:${path}:ro`);
    expect(services.grafana?.volumes).toContain('./ops/grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');

  it('builds on node:20-bookworm-slim with npm ci, both Prisma clients, the workflow bundle and the checked JavaScript', () => {
    expect([...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]).filter((base) => !['build'].includes(base!))).toEqual(
      Array(3).fill('node:20-bookworm-slim'),
    );
    expect(dockerfile).toMatch(/npm ci\b/);
    expect(dockerfile).toContain('prisma generate --schema prisma/schema.prisma');
    expect(dockerfile).toContain('prisma generate --schema prisma/postgres/schema.prisma');
    const bundle = /workers\/build-bundle\.ts (\S+)/.exec(dockerfile)?.[1];
    expect(bundle).toBe('/app/dist/workflow-bundle.js');
    expect(dockerfile).toContain(`WORKFLOW_BUNDLE_PATH=${bundle}`);
    // The same build and check that test/ops/production-build.test.ts runs.
    expect(dockerfile).toContain('node --import tsx scripts/check-production-build.ts /app/dist');
  });

  it('ships the runtime stage with production dependencies only, running built JavaScript', () => {
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^\nFROM node:20-bookworm-slim AS runtime$/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev\b/);
    expect(runtime).toContain('COPY --from=production-dependencies /app/node_modules ./node_modules');
    expect(runtime).not.toMatch(/COPY \.|tsx|npm (ci|install)/);
    expect(runtime).toMatch(/^CMD \["node", "dist\/api\.mjs"\]$/m);
  });

  it('runs as an unprivileged user', () => {
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)$/);
  });

  it('keeps secrets, machine state and generated files out of the build context', () => {
    const ignored = readFileSync(repoPath('.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['.env', 'node_modules', 'data', '.tmp', '.tools', 'db/generated', '.git']) expect(ignored, entry).toContain(entry);
  });

  it('sets only variables the code or the Prisma CLI reads', () => {
    const known = platformEnvNames();
    const prisma = ['PRISMA_SCHEMA_ENGINE_BINARY', 'PRISMA_QUERY_ENGINE_LIBRARY', 'PRISMA_HIDE_UPDATE_MESSAGE', 'NPM_CONFIG_UPDATE_NOTIFIER'];
    const set = [...dockerfile.matchAll(/^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(set.length).toBeGreaterThan(4);
    expect(set.filter((name) => !known.has(name) && !prisma.includes(name))).toEqual([]);
  });
});

describe('ops/temporal scripts', () => {
  it('are valid POSIX shell', () => {
    for (const script of ['ops/temporal/setup-schema.sh', 'ops/temporal/setup-namespace.sh']) {
      expect(() => execFileSync('sh', ['-n', repoPath(script)])).not.toThrow();
    }
  });
});
