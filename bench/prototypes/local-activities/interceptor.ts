/**
 * PROTOTYPE, benchmark only (npm run bench -- --local-activities): a workflow interceptor bundled
 * with the real workflows/ that runs the vehicle entry and exit sagas' forward steps (the
 * activities they schedule with the `databaseStep` options) as local activities, with the same
 * timeout and retry policy. Compensations and the other sagas keep ordinary activities.
 * The product change it stands for is `proxyLocalActivities` in place of `proxyActivities` for
 * `steps` in workflows/vehicle-entry.ts and workflows/vehicle-exit.ts (behind a patch).
 */
import { proxyLocalActivities, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { databaseStep } from '../../../workflows/policies';

const PROTOTYPED = new Set(['vehicleEntry', 'vehicleExit']);
// Compared by value: the interceptor's module instance of workflows/policies may not be the saga's.
const DATABASE_STEP = JSON.stringify(databaseStep);

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        if (!PROTOTYPED.has(workflowInfo().workflowType) || JSON.stringify(input.options) !== DATABASE_STEP) return next(input);
        const local = proxyLocalActivities({ startToCloseTimeout: databaseStep.startToCloseTimeout!, retry: databaseStep.retry! });
        return local[input.activityType]!(...input.args);
      },
    },
  ],
});
