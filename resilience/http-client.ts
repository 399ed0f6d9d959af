/**
 * One HTTP attempt with a timeout (global fetch), classified for the resilience layer:
 *   2xx            → the parsed body
 *   4xx            → ExternalServiceRejection (an answer: the vendor said no)
 *   anything else  → ExternalServiceError kind 'status'
 *   timeout        → ExternalServiceError kind 'timeout'
 *   network error  → ExternalServiceError kind 'network'
 *   caller's abort → ExternalServiceError kind 'cancelled' (the request is aborted, its socket closed)
 * The timeout covers the whole exchange, body included.
 */
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { ExternalServiceError, ExternalServiceRejection } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  /** Service name for errors. */
  service: string;
  /** Instance id for errors. */
  instance?: string;
  method: HttpMethod;
  url: string;
  /** Sent as JSON when present. */
  body?: unknown;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** The caller's cancellation (e.g. a Temporal activity's); an abort is reported as kind 'cancelled'. */
  signal?: AbortSignal;
}

export interface HttpResponse<T> {
  status: number;
  body: T;
}

const tracer = trace.getTracer('saga-platform/resilience');

/** One HTTP attempt in its own client span, with the trace context passed on (W3C traceparent). */
export async function httpRequest<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
  return tracer.startActiveSpan(
    `${req.method} ${req.service}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'http.request.method': req.method, 'url.full': req.url, 'peer.service': req.service, ...(req.instance && { 'saga.instance': req.instance }) },
    },
    async (span) => {
      try {
        const res = await attempt<T>(req);
        span.setAttribute('http.response.status_code', res.status);
        return res;
      } catch (err) {
        if (err instanceof ExternalServiceRejection) span.setAttribute('http.response.status_code', err.status);
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

async function attempt<T>(req: HttpRequest): Promise<HttpResponse<T>> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  propagation.inject(context.active(), headers);
  const where = { instance: req.instance };

  let status: number;
  let body: unknown;
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      signal,
    });
    status = res.status;
    body = parseBody(await res.text(), res.headers.get('content-type'));
  } catch (err) {
    if (timeout.aborted) {
      throw new ExternalServiceError(req.service, 'timeout', `${req.method} ${req.url} timed out after ${req.timeoutMs} ms`, {
        ...where,
        cause: err,
      });
    }
    if (req.signal?.aborted) {
      throw new ExternalServiceError(req.service, 'cancelled', `${req.method} ${req.url} cancelled by the caller`, { ...where, cause: err });
    }
    throw new ExternalServiceError(req.service, 'network', `${req.method} ${req.url} failed: ${networkReason(err)}`, {
      ...where,
      cause: err,
    });
  }

  if (status >= 200 && status < 300) return { status, body: body as T };
  if (status >= 400 && status < 500) throw new ExternalServiceRejection(req.service, status, body, req.instance);
  throw new ExternalServiceError(req.service, 'status', `${req.method} ${req.url} answered HTTP ${status}`, {
    ...where,
    status,
    body,
  });
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text.length === 0) return undefined;
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function networkReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${err.message} (${code})` : err.message;
}
