import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { WORKFLOWS_PATH, WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/bundle';

const INTERCEPTOR = fileURLToPath(new URL('./ordinary-activities.ts', import.meta.url));

/**
 * The platform's workflow bundle built from the real workflows/ (so it never drifts from them),
 * plus the variant's interceptor: the sagas' local activities run as ordinary activities.
 */
export async function buildOrdinaryActivitiesBundle(options: { otel: boolean }): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // First, so that it is the outermost: a rerouted call reaches the OpenTelemetry
    // interceptor's scheduleActivity only, as an ordinary activity would (one span).
    workflowInterceptorModules: [INTERCEPTOR, ...(options.otel ? WORKFLOW_INTERCEPTOR_MODULES : [])],
    logger: new DefaultLogger('WARN'),
  });
  return code;
}
