import { BusinessRejection } from '../domains/errors';
import type { PlateRead, PlateRecognition } from '../domains/plates';
import { ExternalServiceRejection, type ResilienceRegistry } from '../resilience';

/** The ANPR vendor API's service name in the external-services config. */
export const ANPR_SERVICE = 'anpr';

/**
 * The plate domain's recognition port on the ANPR vendor API, through the resilience
 * layer: balancer → breaker → backup vendor → cached read.
 */
export function createAnprRecognition(registry: ResilienceRegistry): PlateRecognition {
  return {
    async confirm(plate, options) {
      try {
        const { value, via } = await registry.call<PlateRead>(ANPR_SERVICE, {
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
