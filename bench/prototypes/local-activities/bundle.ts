import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { WORKFLOWS_PATH, WORKFLOW_INTERCEPTOR_MODULES } from '../../../workers/bundle';

const INTERCEPTOR = fileURLToPath(new URL('./interceptor.ts', import.meta.url));

/**
 * The platform's workflow bundle built from the real workflows/ (so it never drifts from them),
 * plus the prototype's interceptor: the vehicle entry and exit sagas' forward steps run as local activities.
 */
export async function buildLocalActivitiesBundle(options: { otel: boolean }): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // First, so that it is the outermost: a rerouted call never reaches the OpenTelemetry
    // interceptor's scheduleActivity, only its scheduleLocalActivity (one span, as in the product change).
    workflowInterceptorModules: [INTERCEPTOR, ...(options.otel ? WORKFLOW_INTERCEPTOR_MODULES : [])],
    logger: new DefaultLogger('WARN'),
  });
  return code;
}
