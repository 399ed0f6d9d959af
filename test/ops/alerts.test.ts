import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath } from './env-names';

/**
 * The Prometheus alert rules (ops/alerts.yml): promtool checks them and runs their unit tests
 * (ops/alerts.test.yml), and every metric they name is one the platform exports, read from the
 * code that exports it: the saga kit (workflows/saga/metrics.ts), the resilience layer
 * (workers/resilience-metrics.ts), the API (api/plugins/metrics.ts) and the Temporal SDK's core
 * (its Rust sources, shipped in @temporalio/core-bridge). promtool comes from Debian's
 * `prometheus` package; scripts/test.sh installs it when missing (scripts/setup-promtool.sh).
 */

const require = createRequire(import.meta.url);
const yaml = require('yaml') as { parse(text: string): unknown };

const RULES = 'ops/alerts.yml';
const UNIT_TESTS = 'ops/alerts.test.yml';
const CONFIG = 'ops/prometheus.yml';
const DASHBOARD = 'ops/grafana/dashboards/saga-overview.json';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rulesOf = (file: string): Rule[] =>
  (yaml.parse(readFileSync(repoPath(file), 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

const PROMTOOL = 'promtool';
const hasPromtool = spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' }).status === 0;

function promtool(...args: string[]) {
  const result = spawnSync(PROMTOOL, args, { cwd: repoPath('.'), encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// ---------------------------------------------------------------- metric names

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression selects (not functions, keywords, labels or strings). */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w:.])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] || PROMQL_KEYWORDS.has(m[1]!.toLowerCase())) continue;
    names.add(m[1]!);
  }
  return [...names];
}

const read = (path: string) => readFileSync(path, 'utf8');

/** Metric names the platform's own code creates (counters carry no _total: the SDK's Prometheus exporter adds none). */
function platformMetricNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of ['workflows/saga/metrics.ts', 'workers/resilience-metrics.ts', 'workers/notification-dispatcher.ts']) {
    for (const m of read(repoPath(file)).matchAll(/\.create(?:Counter|Histogram|Gauge)\(\s*'([a-z_:][\w:]*)'/g)) names.set(m[1]!, file);
  }
  for (const m of read(repoPath('api/plugins/metrics.ts')).matchAll(/\bname:\s*'([a-z_:][\w:]*)'/g)) names.set(m[1]!, 'api/plugins/metrics.ts');
  return names;
}

/**
 * The Temporal SDK's own worker metrics, read from the core's Rust sources that ship with the
 * installed @temporalio/core-bridge: `name: "x"` or `name: SOME_NAME` (a `&str` constant), with
 * the core's default prefix `temporal_`.
 */
function sdkMetricNames(): Map<string, string> {
  const bridge = dirname(require.resolve('@temporalio/core-bridge/package.json'));
  const files = [
    join(bridge, 'sdk-core/crates/sdk-core/src/telemetry/metrics.rs'),
    join(bridge, 'sdk-core/crates/common/src/telemetry/metrics.rs'),
  ];
  const text = files.map(read).join('\n');
  const constants = new Map([...text.matchAll(/const\s+([A-Z_]+):\s*&str\s*=\s*"([a-z_]+)"/g)].map((m) => [m[1]!, m[2]!]));
  const prefix = /METRIC_PREFIX:\s*&str\s*=\s*"([a-z_]+)"/.exec(read(join(bridge, 'sdk-core/crates/common/src/telemetry.rs')))?.[1];
  expect(prefix).toBe('temporal_');
  const names = new Map<string, string>();
  for (const m of text.matchAll(/\bname:\s*(?:"([a-z_]+)"|([A-Z_]+))\.into\(\)/g)) {
    const name = m[1] ?? constants.get(m[2]!);
    if (name) names.set(`${prefix}${name}`, '@temporalio/core-bridge (sdk-core telemetry/metrics.rs)');
  }
  return names;
}

/** Series Prometheus itself records for every target. */
const PROMETHEUS_OWN = new Set(['up']);

function exportedBase(name: string, exported: Map<string, string>): string | undefined {
  if (exported.has(name) || PROMETHEUS_OWN.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && exported.has(base) ? base : undefined;
}

describe.skipIf(!hasPromtool)(`promtool (${hasPromtool ? PROMTOOL : 'missing: scripts/setup-promtool.sh installs it'})`, () => {
  it('accepts the rules', () => {
    const result = promtool('check', 'rules', RULES);
    expect(result.output).toMatch(/SUCCESS: 8 rules found/);
    expect(result.status, result.output).toBe(0);
  });

  it("passes the rules' unit tests: each alert fires when it should and stays quiet when it should not", () => {
    const result = promtool('test', 'rules', UNIT_TESTS);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('SUCCESS');
  });

  it('accepts ops/prometheus.yml with its rule file', () => {
    const result = promtool('check', 'config', CONFIG);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: 1 rule files found/);
    expect(result.output).toContain(`Checking ${RULES}`);
  });
});

// Without promtool the checks above cannot run: that is a failure of `make test`, not a skip.
it('promtool is installed (scripts/test.sh installs it through scripts/setup-promtool.sh)', () => {
  expect(hasPromtool, 'promtool not found: run scripts/setup-promtool.sh (as root), or put promtool on the PATH').toBe(true);
});

describe('alert rules', () => {
  const rules = rulesOf(RULES);

  it('has the alerts of issue 12, each with for, a severity, a summary and a runbook', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(
      [
        'ActivityScheduleToStartHigh',
        'BreakerOpen',
        'DatabaseBreakerOpen',
        'NotificationsDead',
        'NotificationsUndeliverable',
        'SagaCompensationFailed',
        'SagaWaitingForOperator',
        'WorkflowTaskScheduleToStartHigh',
      ].sort(),
    );
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toMatch(/Runbook: /);
    }
  });

  it('names only metrics the platform exports (read from the code that exports them)', () => {
    const exported = new Map([...platformMetricNames(), ...sdkMetricNames()]);
    // The sources really were read: the saga kit's, the resilience layer's and the SDK's.
    for (const name of ['saga_needs_attention', 'saga_compensations', 'resilience_breaker_state', 'notifications_dead', 'http_requests_total', 'temporal_workflow_task_schedule_to_start_latency', 'temporal_activity_schedule_to_start_latency']) {
      expect(exported.has(name), name).toBe(true);
    }
    const used = [...new Set(rules.flatMap((r) => metricNamesIn(r.expr)))];
    expect(used.length).toBeGreaterThanOrEqual(8);
    expect(used.filter((name) => !exportedBase(name, exported))).toEqual([]);
  });

  it("reads the SDK's histograms as the worker exports them: milliseconds, no unit suffix", () => {
    // The thresholds (> 1000) are milliseconds and the names carry no _milliseconds suffix: the
    // SDK's defaults, which workers/runtime.ts keeps.
    expect(read(repoPath('workers/runtime.ts'))).not.toMatch(/useSecondsForDurations|unitSuffix/);
  });

  it('is loaded by the compose Prometheus: rule_files in ops/prometheus.yml, mounted next to it', () => {
    const config = yaml.parse(read(repoPath(CONFIG))) as { rule_files?: string[] };
    expect(config.rule_files).toEqual(['alerts.yml']);
    const compose = yaml.parse(read(repoPath('docker-compose.temporal.yml'))) as { services: Record<string, { volumes?: string[] }> };
    const volumes = compose.services.prometheus?.volumes ?? [];
    expect(volumes).toContain('./ops/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    // rule_files are relative to the config file: /etc/prometheus/alerts.yml in the container, ops/alerts.yml here.
    for (const file of config.rule_files ?? []) expect(volumes).toContain(`./ops/${file}:/etc/prometheus/${file}:ro`);
  });

  it('has a Grafana panel for each alert, querying the expression the alert evaluates', () => {
    const dashboard = JSON.parse(read(repoPath(DASHBOARD))) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const squeeze = (s: string) => s.replace(/\s+/g, '');
    for (const rule of rules) {
      const panel = dashboard.panels.find((p) => p.title.startsWith(`${rule.alert}: `));
      expect(panel, rule.alert).toBeDefined();
      expect(panel!.targets?.length, rule.alert).toBeGreaterThan(0);
      for (const target of panel!.targets!) expect(squeeze(rule.expr), `${rule.alert}: ${target.expr}`).toContain(squeeze(target.expr));
    }
  });
});

describe('metricNamesIn', () => {
  it('finds the selected metrics, not functions, keywords, labels, strings or durations', () => {
    expect(
      metricNamesIn(
        'sum by (saga_type, kind) (label_replace(saga_operator_actions{action=~"retryStep|x_y"}, "kind", "STEP", "", "")) ' +
          '- on (job) group_left max_over_time(resilience_breaker_state[10m] offset 15m) > bool 0 or count_over_time(up[15m])',
      ).sort(),
    ).toEqual(['resilience_breaker_state', 'saga_operator_actions', 'up']);
  });
});
