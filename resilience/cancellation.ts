/**
 * The caller's cancellation, carried beside the call: an activity runs its body inside
 * `withCancellation(its cancellationSignal, ...)`, and every vendor call made meanwhile,
 * however deep in a domain service, hands that signal to its HTTP request. (The domain's
 * ports carry no transport options, so it travels beside the call rather than through it.)
 * A cancelled or timed-out activity thereby stops its vendor calls instead of leaving them running.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `call` with every external call it makes cancelled by `signal`. */
export function withCancellation<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  return scope.run(signal, call);
}

/** The signal of the enclosing `withCancellation`, if any. */
export function currentCancellation(): AbortSignal | undefined {
  return scope.getStore();
}
