import { fileURLToPath } from 'node:url';
import { bundleWorkflows } from '../../workers/bundle';

const INTERCEPTOR = fileURLToPath(new URL('./ordinary-activities.ts', import.meta.url));

/**
 * The platform's workflow bundle built from the real workflows/ (so it never drifts from them),
 * plus the variant's interceptor: the sagas' local activities run as ordinary activities.
 * The interceptor goes first, outermost: a rerouted call reaches the OpenTelemetry interceptor's
 * scheduleActivity only, as an ordinary activity would (one span).
 */
export async function buildOrdinaryActivitiesBundle(options: { otel: boolean }): Promise<string> {
  return bundleWorkflows({ tracing: options.otel, interceptorModules: [INTERCEPTOR] });
}
