/**
 * The payment gateway port (domains/payments) on the resilience layer: the 'payment'
 * service (balanced instances, health checks, circuit breaker) with its configured
 * alternatives (payment-backup) — and NEVER the cache fallback: a stale answer about
 * money is worse than no answer, so no cacheKey is ever passed.
 *
 * Whether the alternatives are tried is the saga step's choice (its `alternativeServices`
 * flag): the payment activity runs the domain call inside `withPaymentAlternatives`, and
 * every gateway call the domain makes meanwhile follows it. (The domain's port carries no
 * vendor options, so the choice travels beside the call rather than through it.) Outside
 * such a scope, the configured alternatives are tried.
 *
 * The HTTP API is the one of simulators/payment-gateway.ts. Idempotency keys come from
 * the domain (derived from our payment key), so a retry through another instance or
 * through the backup gateway replays instead of charging twice — as long as they share
 * one ledger, as the simulators started by simulators/start.ts do by default
 * (SIM_PAYMENT_SHARED_LEDGER=true), and as one real gateway behind several front doors does.
 *
 * Answers: 402 → a DECLINED outcome; 409 INVALID_TRANSITION → an INVALID_TRANSITION
 * outcome; other 4xx → BusinessRejection (404 PAYMENT_NOT_FOUND, 422 IDEMPOTENCY_KEY_REUSED,
 * 422 REFUND_EXCEEDS_CAPTURED, 400 PAYMENT_REQUEST_INVALID, else PAYMENT_REJECTED), except
 * 408/429, which are retryable. Outages (5xx, timeouts, open circuits) are thrown as they are.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { BusinessRejection } from '../domains/errors';
import type {
  AuthorizeRequest,
  GatewayAnswer,
  GatewayAuthorization,
  GatewayPayment,
  GatewayPaymentStatus,
  GatewayTransition,
  PaymentGateway,
} from '../domains/payments';
import { ExternalServiceRejection, runRequest, type Policy, type ResilienceRegistry, type ServiceCall } from '../resilience';

const alternativesScope = new AsyncLocalStorage<boolean>();

/**
 * Runs `call` with every payment gateway call it makes trying the backup gateway
 * (`alternatives` true) or only the primary instances (false).
 *
 * @example
 * await withPaymentAlternatives(fallbacks.alternativeServices === true, () => payments.authorize(input));
 */
export function withPaymentAlternatives<T>(alternatives: boolean, call: () => Promise<T>): Promise<T> {
  return alternativesScope.run(alternatives, call);
}

/** The scope's choice; outside any scope, the configured alternatives. */
const alternativesNow = () => alternativesScope.getStore() ?? true;

export interface RegistryPaymentGatewayOptions {
  /** The registry's service name (default "payment"); its alternatives come from the config. */
  service?: string;
  /** Per-call timeout override (default: the service's timeoutMs). */
  timeoutMs?: number;
}

interface SimPayment {
  paymentId: string;
  status: GatewayPaymentStatus;
  amount: number;
  refundedAmount?: number;
}

/**
 * The payment chain: the gateway, then its configured alternatives (each: instances in rotation
 * → breaker → balancer). Never the cache: a stale answer about money is worse than none.
 */
export function paymentPolicy(registry: ResilienceRegistry, service = 'payment'): Policy<ServiceCall> {
  return registry.alternatives(service);
}

export function createRegistryPaymentGateway(registry: ResilienceRegistry, options: RegistryPaymentGatewayOptions = {}): PaymentGateway {
  const service = options.service ?? 'payment';
  const policy = paymentPolicy(registry, service);
  const callOptions = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};

  const toPayment = (p: SimPayment): GatewayPayment => ({
    paymentId: p.paymentId,
    status: p.status,
    amount: p.amount,
    ...(p.refundedAmount !== undefined ? { refundedAmount: p.refundedAmount } : {}),
  });

  /** The path that gave a 4xx answer, named like the registry names successful ones. */
  const viaOf = (err: ExternalServiceRejection) =>
    err.service === service ? `primary:${err.instance ?? 'unknown'}` : `alternative:${err.service}`;

  const bodyOf = (err: ExternalServiceRejection) => (typeof err.body === 'object' && err.body !== null ? (err.body as Record<string, unknown>) : {});

  function toError(err: unknown): unknown {
    if (!(err instanceof ExternalServiceRejection)) return err;
    const body = bodyOf(err);
    const detail = `payment gateway answered HTTP ${err.status}${typeof body.error === 'string' ? ` ${body.error}` : ''}`;
    if (err.status === 408 || err.status === 429) return new Error(detail); // busy: retry later
    if (err.status === 404) return new BusinessRejection('PAYMENT_NOT_FOUND', detail);
    if (err.status === 400) return new BusinessRejection('PAYMENT_REQUEST_INVALID', detail);
    if (body.error === 'IDEMPOTENCY_KEY_REUSED') return new BusinessRejection('IDEMPOTENCY_KEY_REUSED', detail);
    if (body.error === 'AMOUNT_EXCEEDS_CAPTURED') return new BusinessRejection('REFUND_EXCEEDS_CAPTURED', detail);
    return new BusinessRejection('PAYMENT_REJECTED', detail);
  }

  async function post(path: string, body: unknown) {
    return runRequest<SimPayment>(policy, { method: 'POST', path, body, alternatives: alternativesNow(), ...callOptions });
  }

  async function transition(
    paymentId: string,
    operation: 'capture' | 'void' | 'refund',
    body: Record<string, unknown>,
  ): Promise<GatewayAnswer<GatewayTransition>> {
    try {
      const { value, via } = await post(`/v1/payments/${encodeURIComponent(paymentId)}/${operation}`, body);
      return { value: { outcome: 'DONE', payment: toPayment(value) }, via };
    } catch (err) {
      if (err instanceof ExternalServiceRejection && err.status === 409) {
        const status = bodyOf(err).status as GatewayPaymentStatus;
        return { value: { outcome: 'INVALID_TRANSITION', status }, via: viaOf(err) };
      }
      throw toError(err);
    }
  }

  return {
    async authorize(req: AuthorizeRequest): Promise<GatewayAnswer<GatewayAuthorization>> {
      try {
        const { value, via } = await post('/v1/payments/authorize', req);
        return { value: { outcome: 'AUTHORIZED', payment: toPayment(value) }, via };
      } catch (err) {
        if (err instanceof ExternalServiceRejection && err.status === 402) {
          const reason = bodyOf(err).reason;
          return { value: { outcome: 'DECLINED', reason: typeof reason === 'string' ? reason : 'DECLINED' }, via: viaOf(err) };
        }
        throw toError(err);
      }
    },
    capture: (paymentId, req) => transition(paymentId, 'capture', { idempotencyKey: req.idempotencyKey }),
    void: (paymentId, req) => transition(paymentId, 'void', { idempotencyKey: req.idempotencyKey }),
    refund: (paymentId, req) =>
      transition(paymentId, 'refund', { idempotencyKey: req.idempotencyKey, ...(req.amount !== undefined ? { amount: req.amount } : {}) }),
    async get(paymentId: string): Promise<GatewayAnswer<GatewayPayment>> {
      try {
        const { value, via } = await runRequest<SimPayment>(policy, {
          method: 'GET',
          path: `/v1/payments/${encodeURIComponent(paymentId)}`,
          alternatives: alternativesNow(),
          ...callOptions,
        });
        return { value: toPayment(value), via };
      } catch (err) {
        throw toError(err);
      }
    },
  };
}
