/**
 * The errors the resilience layer raises. They are plain classes with a stable
 * `name` so that code on the other side of a serialization boundary (a Temporal
 * activity failure, a log line) can still tell them apart.
 */

/** The circuit of a service is open (or its half-open trial slots are taken): the call was not made. */
export class BrokenCircuitError extends Error {
  override readonly name = 'BrokenCircuitError';
  constructor(
    /** The service whose circuit is open. */
    readonly service: string,
    /** How long until the circuit admits trial calls again; a caller can wait this long before retrying. */
    readonly retryAfterMs: number,
    /** The state that refused the call: OPEN, or HALF_OPEN when every trial slot is taken. */
    readonly state: 'OPEN' | 'HALF_OPEN' = 'OPEN',
  ) {
    super(`circuit of ${service} is ${state.toLowerCase().replace('_', '-')}; retry after ${retryAfterMs} ms`);
  }
}

/** No instance of a service is in rotation. */
export class NoHealthyInstanceError extends Error {
  override readonly name = 'NoHealthyInstanceError';
  constructor(readonly service: string) {
    super(`no healthy instance of ${service}`);
  }
}

/** Every instance in rotation is at its cap of concurrent calls (max_connections): failed fast, nothing sent. */
export class InstancesAtCapacityError extends Error {
  override readonly name = 'InstancesAtCapacityError';
  constructor(readonly service: string) {
    super(`every instance of ${service} is at its cap of concurrent calls`);
  }
}

/**
 * The vendor answered with a 4xx: it is up and said no. This is an answer, not an
 * outage: it is not a breaker failure and no alternative is tried.
 */
export class ExternalServiceRejection extends Error {
  override readonly name = 'ExternalServiceRejection';
  constructor(
    readonly service: string,
    readonly status: number,
    readonly body: unknown,
    /** The instance that answered. */
    readonly instance?: string,
  ) {
    super(`${service} rejected the request with HTTP ${status}`);
  }
}

/** Why a call to a vendor did not produce an answer. */
export type ExternalServiceFailureKind = 'status' | 'timeout' | 'network' | 'cancelled';

/**
 * The vendor did not answer usefully: 5xx (or another non-2xx, non-4xx status), a timeout, or a
 * network error; or the caller gave up (kind 'cancelled': not the vendor's fault, see isCancelledCall).
 */
export class ExternalServiceError extends Error {
  override readonly name = 'ExternalServiceError';
  constructor(
    readonly service: string,
    readonly kind: ExternalServiceFailureKind,
    message: string,
    readonly details: { instance?: string; status?: number; body?: unknown; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

/** Every path (primary and each alternative) failed with an outage. */
export class AllAlternativesFailedError extends Error {
  override readonly name = 'AllAlternativesFailedError';
  /**
   * Set when every path refused because its circuit is open: the shortest wait
   * until one of them admits calls again.
   */
  readonly retryAfterMs: number | undefined;

  constructor(readonly failures: ReadonlyArray<{ via: string; error: unknown }>) {
    const last = failures[failures.length - 1]?.error;
    super(
      `all ${failures.length} path(s) failed: ${failures.map((f) => `${f.via}: ${describeError(f.error)}`).join('; ')}`,
      last === undefined ? undefined : { cause: last },
    );
    const waits = failures.map((f) => (f.error instanceof BrokenCircuitError ? f.error.retryAfterMs : undefined));
    this.retryAfterMs =
      waits.length > 0 && waits.every((w) => w !== undefined) ? Math.min(...(waits as number[])) : undefined;
  }
}

/**
 * Default rule for "the other side said no" versus "the other side is broken":
 * a domain `BusinessRejection` (a name and a `code`), or an HTTP 4xx `ExternalServiceRejection`.
 * Business errors pass through fallbacks untouched.
 */
export function isBusinessError(err: unknown): boolean {
  if (err instanceof ExternalServiceRejection) return err.status >= 400 && err.status < 500;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === 'BusinessRejection' && typeof e.code === 'string' && e.code.length > 0;
}

/**
 * The caller cancelled the call (its activity was cancelled or timed out). Not an outage: no
 * breaker counts it, and no fallback is tried for a caller that is gone.
 */
export function isCancelledCall(err: unknown): boolean {
  return err instanceof ExternalServiceError && err.kind === 'cancelled';
}

/** A short text for an error in messages and logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * The wait a failed call suggests before the next attempt (BrokenCircuitError, or
 * AllAlternativesFailedError when every path had an open circuit); undefined otherwise.
 * Meant for a Temporal activity choosing its next retry delay.
 */
export function retryAfterMsOf(err: unknown): number | undefined {
  if (err instanceof BrokenCircuitError || err instanceof AllAlternativesFailedError) return err.retryAfterMs;
  return undefined;
}
