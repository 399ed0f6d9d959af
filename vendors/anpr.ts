import { BusinessRejection } from '../domains/errors';
import type { PlateRead, PlateRecognition } from '../domains/plates';
import { ExternalServiceRejection, runRequest, wrap, type Policy, type ResilienceRegistry, type ServiceCall } from '../resilience';

/** The ANPR vendor API's service name in the external-services config. */
export const ANPR_SERVICE = 'anpr';

/**
 * The ANPR chain, outermost first: the cached read stands in when every path fails; the paths
 * are the ANPR vendor, then the backup vendor (each: instances in rotation → breaker → balancer).
 */
export function anprPolicy(registry: ResilienceRegistry): Policy<ServiceCall> {
  return wrap(registry.cache(ANPR_SERVICE), registry.alternatives(ANPR_SERVICE));
}

/** The plate domain's recognition port on the ANPR vendor API, through `anprPolicy`. */
export function createAnprRecognition(registry: ResilienceRegistry): PlateRecognition {
  const policy = anprPolicy(registry);
  return {
    async confirm(plate, options) {
      try {
        const { value, via } = await runRequest<PlateRead>(policy, {
          method: 'POST',
          path: '/v1/plates/verify',
          body: { plate },
          alternatives: options.alternativeServices ?? false,
          ...(options.cacheFallback && { cacheKey: `plate:${plate}` }),
        });
        return { read: value, source: via };
      } catch (err) {
        // A 4xx is the vendor's answer, not an outage: it could not confirm this plate.
        if (err instanceof ExternalServiceRejection) {
          throw new BusinessRejection('PLATE_UNREADABLE', `the plate-recognition engine could not confirm ${plate} (${err.status})`);
        }
        throw err;
      }
    },
  };
}
