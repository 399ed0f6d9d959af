/**
 * Active health checks: probes each instance's health URL (HTTP GET, 2xx = pass)
 * on an interval. `healthyThreshold` consecutive passes bring an instance UP (into
 * rotation); `unhealthyThreshold` consecutive failures take it DOWN (out of rotation).
 *
 * Instances start UNKNOWN, and UNKNOWN instances ARE in rotation: a fresh process
 * serves at once instead of waiting healthyThreshold intervals, and an instance is
 * only taken out once proven DOWN. The breaker and the alternatives cover calls that
 * land on a dead instance before the checker has noticed.
 *
 * An instance added at run time (add) is different: it joins rotation only once it has
 * passed healthyThreshold probes, so a half-started instance never takes calls. remove()
 * stops probing it at once.
 */
import type { Logger } from '../shared/logger';

export type InstanceHealthStatus = 'UP' | 'DOWN' | 'UNKNOWN';

export interface HealthCheckedInstance {
  id: string;
  url: string;
}

export interface HealthCheckOptions {
  intervalMs: number;
  /** Timeout of one probe. */
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface HealthCheckerSettings extends HealthCheckOptions {
  service: string;
  instances: readonly HealthCheckedInstance[];
  /** Path appended to each instance URL, e.g. "/health". */
  healthPath: string;
  now?: () => number;
  logger?: Logger;
  onStatusChange?: (instanceId: string, from: InstanceHealthStatus, to: InstanceHealthStatus) => void;
}

export interface InstanceHealth {
  id: string;
  url: string;
  status: InstanceHealthStatus;
  inRotation: boolean;
  consecutivePasses: number;
  consecutiveFailures: number;
  lastCheckedAt: number | null;
  /** Why the last probe failed; null after a pass. */
  lastError: string | null;
  /** Added at run time and not yet UP: out of rotation until it passes its checks. */
  joining: boolean;
}

/** Aggregate status of a service: any DOWN → DOWN, else any UNKNOWN → UNKNOWN, else UP. */
export function aggregateStatus(statuses: Iterable<InstanceHealthStatus>): InstanceHealthStatus {
  let unknown = false;
  let any = false;
  for (const status of statuses) {
    any = true;
    if (status === 'DOWN') return 'DOWN';
    if (status === 'UNKNOWN') unknown = true;
  }
  return unknown || !any ? 'UNKNOWN' : 'UP';
}

/** Whether an instance in this status takes calls (UNKNOWN does: see the module comment). */
export function isInRotation(status: InstanceHealthStatus): boolean {
  return status !== 'DOWN';
}

interface InstanceState {
  instance: HealthCheckedInstance;
  probeUrl: string;
  status: InstanceHealthStatus;
  passes: number;
  failures: number;
  lastCheckedAt: number | null;
  lastError: string | null;
  /** Added at run time and not yet proven UP. */
  joining: boolean;
}

export class HealthChecker {
  readonly service: string;
  private readonly options: HealthCheckOptions;
  private readonly states = new Map<string, InstanceState>();
  private readonly healthPath: string;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  private readonly onStatusChange: HealthCheckerSettings['onStatusChange'];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<InstanceHealth[]> | undefined;

  constructor(settings: HealthCheckerSettings) {
    for (const key of ['intervalMs', 'timeoutMs', 'healthyThreshold', 'unhealthyThreshold'] as const) {
      const v = settings[key];
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${settings.service}: ${key} must be an integer >= 1, got ${v}`);
    }
    this.service = settings.service;
    this.options = {
      intervalMs: settings.intervalMs,
      timeoutMs: settings.timeoutMs,
      healthyThreshold: settings.healthyThreshold,
      unhealthyThreshold: settings.unhealthyThreshold,
    };
    this.now = settings.now ?? Date.now;
    this.logger = settings.logger;
    this.onStatusChange = settings.onStatusChange;
    this.healthPath = settings.healthPath;
    for (const instance of settings.instances) this.track(instance, false);
  }

  /** Starts probing an instance added at run time; it joins rotation after healthyThreshold passes. */
  add(instance: HealthCheckedInstance): void {
    if (this.states.has(instance.id)) throw new RangeError(`${this.service}: instance ids must be unique (${instance.id})`);
    this.track(instance, true);
  }

  /** Stops probing an instance; it is out of rotation at once. False if unknown. */
  remove(instanceId: string): boolean {
    return this.states.delete(instanceId);
  }

  private track(instance: HealthCheckedInstance, joining: boolean): void {
    this.states.set(instance.id, {
      instance,
      probeUrl: joinUrl(instance.url, this.healthPath),
      status: 'UNKNOWN',
      passes: 0,
      failures: 0,
      lastCheckedAt: null,
      lastError: null,
      joining,
    });
  }

  /** Starts probing every intervalMs (first round at once). The timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    void this.checkNow();
    this.timer = setInterval(() => void this.checkNow(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Probes every instance once (joins a round already running) and answers the detail. */
  checkNow(): Promise<InstanceHealth[]> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  status(instanceId: string): InstanceHealthStatus {
    return this.states.get(instanceId)?.status ?? 'UNKNOWN';
  }

  /** Whether the instance takes calls; unknown ids are not. */
  isInRotation(instanceId: string): boolean {
    const state = this.states.get(instanceId);
    return state !== undefined && !state.joining && isInRotation(state.status);
  }

  instances(): InstanceHealth[] {
    return [...this.states.values()].map((s) => ({
      id: s.instance.id,
      url: s.instance.url,
      status: s.status,
      inRotation: !s.joining && isInRotation(s.status),
      consecutivePasses: s.passes,
      consecutiveFailures: s.failures,
      lastCheckedAt: s.lastCheckedAt,
      lastError: s.lastError,
      joining: s.joining,
    }));
  }

  aggregate(): InstanceHealthStatus {
    // A joining instance serves nothing yet: its failed checks do not make the service DOWN.
    return aggregateStatus([...this.states.values()].filter((s) => !s.joining).map((s) => s.status));
  }

  private async round(): Promise<InstanceHealth[]> {
    await Promise.all([...this.states.values()].map((state) => this.probe(state)));
    return this.instances();
  }

  private async probe(state: InstanceState): Promise<void> {
    let error: string | null = null;
    try {
      const res = await fetch(state.probeUrl, {
        method: 'GET',
        signal: AbortSignal.timeout(this.options.timeoutMs),
        headers: { accept: 'application/json' },
      });
      await res.arrayBuffer().catch(() => undefined); // drain so the socket is reused
      if (!res.ok) error = `HTTP ${res.status}`;
    } catch (err) {
      error = err instanceof Error && err.name === 'TimeoutError' ? `timeout after ${this.options.timeoutMs} ms` : describe(err);
    }
    state.lastCheckedAt = this.now();
    state.lastError = error;
    if (error === null) {
      state.passes++;
      state.failures = 0;
      if (state.status !== 'UP' && state.passes >= this.options.healthyThreshold) this.setStatus(state, 'UP');
    } else {
      state.failures++;
      state.passes = 0;
      if (state.status !== 'DOWN' && state.failures >= this.options.unhealthyThreshold) this.setStatus(state, 'DOWN');
    }
  }

  private setStatus(state: InstanceState, to: InstanceHealthStatus): void {
    const from = state.status;
    state.status = to;
    if (to === 'UP') state.joining = false;
    this.logger?.[to === 'DOWN' ? 'warn' : 'info'](
      {
        event: 'health.status_changed',
        service: this.service,
        instance: state.instance.id,
        url: state.instance.url,
        from,
        to,
        lastError: state.lastError,
      },
      `${this.service}/${state.instance.id} is ${to}`,
    );
    try {
      this.onStatusChange?.(state.instance.id, from, to);
    } catch {
      // A listener must not break the checker.
    }
  }
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
