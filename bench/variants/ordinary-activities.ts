/**
 * Benchmark only (npm run bench -- --ordinary-activities): a workflow interceptor bundled with
 * the real workflows/ that turns the local activities the sagas schedule (the short forward
 * steps of the vehicle entry and exit sagas, workflows/database-steps.ts) back into ordinary
 * activities with the `databaseStep` options, to weigh what local activities bring.
 */
import { proxyActivities, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { databaseStep } from '../../workflows/policies';

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleLocalActivity(input) {
        return proxyActivities(databaseStep)[input.activityType]!(...input.args);
      },
    },
  ],
});
