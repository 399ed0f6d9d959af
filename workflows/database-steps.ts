import { proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { asLocalStep } from './policies';

/**
 * The proxy a saga calls its short forward steps through: local activities (see
 * `asLocalStep`) with the retries and timeout of `options` (default `databaseStep`; a step
 * with a policy of its own, like the space allocation, gets its own proxy). `local` is the
 * answer of the patch that brought the saga its local steps (`local-database-steps`, or the
 * saga's own), asked at its start, before any step: sagas started before it replay with
 * ordinary activities.
 *
 * @example
 * const local = patched('local-database-steps');
 * const steps = databaseSteps(databaseStep, local);
 * const allocation = databaseSteps(spaceAllocationStep, local);
 * await saga.step('allocateSpace', { run: (key) => allocation.allocateSpace({ key, ... }) });
 */
export function databaseSteps(options: ActivityOptions, local: boolean) {
  return local ? proxyLocalActivities<Activities>(asLocalStep(options)) : proxyActivities<Activities>(options);
}
