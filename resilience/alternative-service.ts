/**
 * Primary, then alternatives (a Policy): runs the call down each path in order until one
 * answers. Only outages move on to the next path (5xx, timeouts, network errors, an open
 * circuit, no healthy instance). Business errors (a vendor's 4xx, a domain BusinessRejection)
 * are answers: they are rethrown at once, untouched; so is the caller's own cancellation.
 */
import { AllAlternativesFailedError, isBusinessError as defaultIsBusinessError, isCancelledCall } from './errors';
import type { CallContext, Policy } from './policy';

/** What AlternativeService reads and sets in the call's context. */
export interface PathContext extends CallContext {
  /** Set for each path tried: its name. */
  path?: string;
  /** False: the primary path only. */
  alternatives?: boolean;
}

export interface AlternativePath<C extends PathContext> {
  /** Names the path, e.g. "primary" or "alternative:anpr-backup". */
  via: string;
  /** The path's own chain (e.g. a service's breaker and balancer). */
  policy: Policy<C>;
}

export interface FallbackEvent {
  from: string;
  to: string;
  error: unknown;
}

export interface AlternativeServiceOptions {
  /** Errors that are answers, not outages (default: `isBusinessError` from errors.ts). */
  isBusinessError?: (err: unknown) => boolean;
  /** Told each time a path failed and the next one is tried. */
  onFallback?: (event: FallbackEvent) => void;
}

export class AlternativeService<C extends PathContext = PathContext> implements Policy<C> {
  private readonly isBusinessError: (err: unknown) => boolean;
  private readonly onFallback: ((event: FallbackEvent) => void) | undefined;

  constructor(
    readonly paths: ReadonlyArray<AlternativePath<C>>,
    options: AlternativeServiceOptions = {},
  ) {
    if (paths.length === 0) throw new RangeError('at least one path is needed');
    this.isBusinessError = options.isBusinessError ?? defaultIsBusinessError;
    this.onFallback = options.onFallback;
  }

  /**
   * Tries the paths in order, each with `path` set in the context. With a single path its
   * error is rethrown as is; with several, an outage of every one throws AllAlternativesFailedError.
   */
  async execute<T>(fn: (context: C) => Promise<T>, context: C = {} as C): Promise<T> {
    const paths = context.alternatives === false ? this.paths.slice(0, 1) : this.paths;
    const failures: { via: string; error: unknown }[] = [];
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      try {
        return await path.policy.execute(fn, { ...context, path: path.via });
      } catch (err) {
        // An answer is final, and a caller that cancelled wants no other path either.
        if (this.isBusinessError(err) || isCancelledCall(err)) throw err;
        failures.push({ via: path.via, error: err });
        const next = paths[i + 1];
        if (next) {
          try {
            this.onFallback?.({ from: path.via, to: next.via, error: err });
          } catch {
            // A listener must not break the call path.
          }
        }
      }
    }
    if (failures.length === 1) throw failures[0]!.error;
    throw new AllAlternativesFailedError(failures);
  }
}
