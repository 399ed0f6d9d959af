/**
 * One shape for every resilience policy, as in cockatiel: `execute(fn, context)` runs `fn`
 * under the policy's rule and hands it the call's context, which a policy may extend on the
 * way in (the balancer names the instance, alternatives the path taken). `wrap` chains them.
 *
 * @example
 * const anpr = wrap(cacheFallback, alternatives);        // the cache stands behind every path
 * const { value, via } = await runRequest(anpr, { method: 'POST', path: '/v1/plates/verify', body });
 */

/** What travels with one call through a chain of policies. */
export interface CallContext {
  /** The caller's cancellation (an activity's): it reaches the HTTP request. */
  signal?: AbortSignal;
}

export interface Policy<C extends CallContext = CallContext> {
  execute<T>(fn: (context: C) => Promise<T>, context?: C): Promise<T>;
}

/** Chains policies, outermost first: `wrap(a, b).execute(fn, c)` is `a.execute((c) => b.execute(fn, c), c)`. */
export function wrap<C extends CallContext>(...policies: Array<Policy<C>>): Policy<C> {
  return {
    execute<T>(fn: (context: C) => Promise<T>, context: C = {} as C): Promise<T> {
      const chained = policies.reduceRight<(c: C) => Promise<T>>((inner, policy) => (c) => policy.execute(inner, c), fn);
      return chained(context);
    },
  };
}
