/**
 * A request to an external service through a chain of policies: the policies fill the call's
 * context in (the service and its timeout, the instance, the path taken), the HTTP request at
 * the end of the chain goes to the instance picked, and the answer says which path gave it:
 * "primary:<instance id>", "alternative:<service name>" or "cache".
 */
import { currentCancellation } from './cancellation';
import { httpRequest, type HttpMethod } from './http-client';
import type { CallContext, Policy } from './policy';

/** Which path answered, filled in on the way back. */
export interface Answer {
  via?: string;
  instance?: { id: string; url: string };
  /** Set when the cache answered: how old the answer is. */
  cacheAgeMs?: number;
}

/** The context of a call to an external service, as the policies fill it in. */
export interface ServiceCall extends CallContext {
  /** Set by the service's policy: the service that takes the call, and its timeout. */
  service?: string;
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Set by the load balancer: the instance the attempt goes to. */
  instance?: { id: string; url: string };
  /** Set by AlternativeService: "primary" or "alternative:<service>". */
  path?: string;
  /** False: only the primary path (AlternativeService). */
  alternatives?: boolean;
  /** An answer may stand in from the cache under this key (CacheFallback). Never for payments. */
  cacheKey?: string;
  answer?: Answer;
}

export interface ServiceRequest {
  method: HttpMethod;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Default: the cancellation of the enclosing activity (withCancellation). */
  signal?: AbortSignal;
  /** Overrides the service's timeout. */
  timeoutMs?: number;
  cacheKey?: string;
  /** Try the primary's alternatives when it fails (default true). */
  alternatives?: boolean;
}

export interface ServiceResult<T> {
  value: T;
  /** "primary:<instance id>", "alternative:<service name>" or "cache". */
  via: string;
  /** The instance that answered (not for a cached answer). */
  instance?: { id: string; url: string };
  cacheAgeMs?: number;
}

/** Sends `req` through `policy`, which must pick an instance (a service's policy does). */
export async function runRequest<T = unknown>(policy: Policy<ServiceCall>, req: ServiceRequest): Promise<ServiceResult<T>> {
  const answer: Answer = {};
  const signal = req.signal ?? currentCancellation();
  const context: ServiceCall = {
    answer,
    ...(signal && { signal }),
    ...(req.timeoutMs !== undefined && { timeoutMs: req.timeoutMs }),
    ...(req.headers && { headers: req.headers }),
    ...(req.cacheKey !== undefined && { cacheKey: req.cacheKey }),
    ...(req.alternatives !== undefined && { alternatives: req.alternatives }),
  };
  const value = await policy.execute(async (call) => {
    const { service, instance, timeoutMs } = call;
    if (!service || !instance || timeoutMs === undefined) throw new Error('the policy chain has no service in it: no instance to call');
    const res = await httpRequest<T>({
      service,
      instance: instance.id,
      method: req.method,
      url: joinUrl(instance.url, req.path),
      body: req.body,
      timeoutMs,
      ...(call.headers && { headers: call.headers }),
      ...(call.signal && { signal: call.signal }),
    });
    if (call.answer) {
      call.answer.via = call.path === undefined || call.path === 'primary' ? `primary:${instance.id}` : call.path;
      call.answer.instance = { id: instance.id, url: instance.url };
    }
    return res.body;
  }, context);
  return {
    value,
    via: answer.via ?? 'unknown',
    ...(answer.instance && { instance: answer.instance }),
    ...(answer.cacheAgeMs !== undefined && { cacheAgeMs: answer.cacheAgeMs }),
  };
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}
