/**
 * Primary, then alternatives: tries each path in order until one answers.
 * Only outages move on to the next path (5xx, timeouts, network errors, an open
 * circuit, no healthy instance). Business errors (a vendor's 4xx, a domain
 * BusinessRejection) are answers: they are rethrown at once, untouched.
 */
import { AllAlternativesFailedError, isBusinessError as defaultIsBusinessError, isCancelledCall } from './errors';

export interface AlternativePath<T> {
  /** Names the path in the result, e.g. "primary" or "alternative:anpr-backup". */
  via: string;
  call: () => Promise<T>;
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

export interface AlternativeResult<T> {
  value: T;
  via: string;
}

export class AlternativeService {
  private readonly isBusinessError: (err: unknown) => boolean;
  private readonly onFallback: ((event: FallbackEvent) => void) | undefined;

  constructor(options: AlternativeServiceOptions = {}) {
    this.isBusinessError = options.isBusinessError ?? defaultIsBusinessError;
    this.onFallback = options.onFallback;
  }

  /**
   * Tries the paths in order. With a single path its error is rethrown as is; with
   * several, an outage of every one throws AllAlternativesFailedError listing each.
   */
  async execute<T>(paths: readonly AlternativePath<T>[]): Promise<AlternativeResult<T>> {
    if (paths.length === 0) throw new RangeError('at least one path is needed');
    const failures: { via: string; error: unknown }[] = [];
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i]!;
      try {
        return { value: await path.call(), via: path.via };
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
