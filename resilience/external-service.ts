/**
 * One named external service built from its config: instances behind a load
 * balancer fed by active health checks, one circuit breaker for the service, and a
 * per-call timeout. Its `policy` (one path in a caller's chain) and `call` make exactly
 * ONE attempt (retries are Temporal's job), in this order:
 *
 *   any instance in rotation? (else NoHealthyInstanceError, not a breaker failure)
 *   → breaker admits? (else BrokenCircuitError, no network call)
 *   → balancer picks an instance → HTTP with timeout (runRequest)
 *
 * 5xx, timeouts and network errors are breaker failures. A 4xx is an answer:
 * ExternalServiceRejection, recorded as a success by the breaker. Every instance at its
 * cap (InstancesAtCapacityError) fails fast before the breaker: the vendor is busy, not broken.
 * Instances can be added (they join after passing health checks) and removed (they drain).
 */
import type { ExternalInstanceConfig, ExternalServiceConfig } from '../config/external-services';
import type { Logger } from '../shared/logger';
import { CircuitBreaker, type CircuitBreakerSnapshot, type CircuitState } from './circuit-breaker';
import { ExternalServiceRejection, InstancesAtCapacityError, NoHealthyInstanceError, isCancelledCall } from './errors';
import { HealthChecker, type InstanceHealth, type InstanceHealthStatus } from './health-checker';
import type { HttpMethod } from './http-client';
import { LoadBalancer, type LoadBalancerStats } from './load-balancer';
import { wrap, type Policy } from './policy';
import { runRequest, type ServiceCall } from './service-call';

export interface ExternalServiceSettings {
  name: string;
  config: ExternalServiceConfig;
  /** Breaker transitions are logged here, one line each. */
  logger: Logger;
  /** Health source of the balancer; default: a checker built from config.healthCheck (not started). */
  health?: HealthChecker;
  /** Clock for the breaker (and the default checker). */
  now?: () => number;
  /** For the random balancing strategy. */
  random?: () => number;
}

export interface CallOptions {
  headers?: Record<string, string>;
  /** The caller's cancellation (e.g. a Temporal activity's cancellation signal). */
  signal?: AbortSignal;
  /** Overrides config.timeoutMs for this call. */
  timeoutMs?: number;
}

export interface ServiceResponse<T> {
  value: T;
  /** The instance that answered. */
  instance: { id: string; url: string };
}

export interface ExternalServiceSnapshot {
  name: string;
  /** Aggregate health: any DOWN → DOWN, else any UNKNOWN → UNKNOWN, else UP. */
  status: InstanceHealthStatus;
  instances: Array<InstanceHealth & Pick<ExternalInstanceConfig, 'weight' | 'maxConnections' | 'tags' | 'metadata'> & { inFlight: number }>;
  breaker: CircuitBreakerSnapshot;
  balancer: LoadBalancerStats;
  timeoutMs: number;
}

export class ExternalService {
  readonly name: string;
  readonly config: ExternalServiceConfig;
  readonly breaker: CircuitBreaker;
  readonly balancer: LoadBalancer<ExternalInstanceConfig>;
  readonly health: HealthChecker;
  /** This service as one path of a chain: sets the service and its timeout, then breaker → balancer. */
  readonly policy: Policy<ServiceCall>;

  constructor(settings: ExternalServiceSettings) {
    const { name, config, logger } = settings;
    this.name = name;
    this.config = config;
    this.health =
      settings.health ??
      new HealthChecker({
        service: name,
        instances: config.instances,
        healthPath: config.healthPath,
        ...config.healthCheck,
        logger,
        ...(settings.now ? { now: settings.now } : {}),
      });
    this.balancer = new LoadBalancer({
      service: name,
      strategy: config.balancer,
      instances: config.instances,
      isHealthy: (id) => this.health.isInRotation(id),
      ...(settings.random ? { random: settings.random } : {}),
    });
    this.breaker = new CircuitBreaker({
      name,
      ...config.breaker,
      ...(settings.now ? { now: settings.now } : {}),
      // A 4xx is an answer, and a call its caller cancelled says nothing about the vendor.
      isFailure: (err) => !(err instanceof ExternalServiceRejection) && !(err instanceof InstancesAtCapacityError) && !isCancelledCall(err),
      onStateChange: (from: CircuitState, to: CircuitState, snap) => {
        logger[to === 'OPEN' ? 'warn' : 'info'](
          {
            event: 'circuit_breaker.state_changed',
            service: name,
            from,
            to,
            failureRate: snap.failureRate,
            callsInWindow: snap.callsInWindow,
            failedCallsInWindow: snap.failedCallsInWindow,
            retryAfterMs: snap.retryAfterMs,
          },
          `circuit of ${name}: ${from} -> ${to}`,
        );
      },
    });
    const attempt = wrap<ServiceCall>(this.breaker, this.balancer);
    this.policy = {
      execute: (fn, context = {}) => {
        if (this.balancer.healthyInstances().length === 0) throw new NoHealthyInstanceError(this.name);
        if (!this.balancer.hasRoom()) throw new InstancesAtCapacityError(this.name);
        return attempt.execute(fn, { ...context, service: name, timeoutMs: context.timeoutMs ?? config.timeoutMs });
      },
    };
  }

  /** One attempt on this service alone: see the module comment. The path is appended to the picked instance's URL. */
  async call<T = unknown>(method: HttpMethod, path: string, body?: unknown, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    const { value, instance } = await runRequest<T>(this.policy, { method, path, body, ...options });
    return { value, instance: instance! };
  }

  /** Registers an instance at run time: probed now on, in rotation once it passes healthyThreshold checks. */
  addInstance(instance: ExternalInstanceConfig): void {
    this.balancer.add(instance);
    this.health.add(instance);
  }

  /** Deregisters an instance: no new calls at once; calls in flight finish. False if unknown. */
  removeInstance(instanceId: string): boolean {
    this.health.remove(instanceId);
    return this.balancer.remove(instanceId);
  }

  /** The registered instances (in rotation or not), in order. */
  instances(): ExternalInstanceConfig[] {
    return this.balancer.members();
  }

  snapshot(): ExternalServiceSnapshot {
    const members = new Map(this.balancer.members().map((i) => [i.id, i]));
    const inFlight = this.balancer.stats().inFlight;
    return {
      name: this.name,
      status: this.health.aggregate(),
      instances: this.health.instances().map((i) => {
        const member = members.get(i.id);
        return {
          ...i,
          weight: member?.weight ?? 1,
          ...(member?.maxConnections !== undefined && { maxConnections: member.maxConnections }),
          tags: member?.tags ?? [],
          metadata: member?.metadata ?? {},
          inFlight: inFlight[i.id] ?? 0,
        };
      }),
      breaker: this.breaker.snapshot(),
      balancer: this.balancer.stats(),
      timeoutMs: this.config.timeoutMs,
    };
  }
}

