import { patched, proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { asLocalStep, databaseStep } from './policies';

/**
 * The proxy a saga calls its short forward steps through: local activities (see
 * `asLocalStep`) with the retries and timeout of `options` (default `databaseStep`; a step
 * with a policy of its own, like the space allocation, gets its own proxy). Sagas started
 * before the patch replay with ordinary activities. Call it at the start of the saga, before
 * any step. A saga whose own patch brings its local steps passes that patch's answer as `local`
 * (each patch costs a marker and a TemporalChangeVersion search attribute upsert per saga).
 *
 * @example
 * const steps = databaseSteps();
 * const allocation = databaseSteps(spaceAllocationStep);
 * await saga.step('allocateSpace', { run: (key) => allocation.allocateSpace({ key, ... }) });
 */
export function databaseSteps(options: ActivityOptions = databaseStep, local: boolean = patched('local-database-steps')) {
  return local ? proxyLocalActivities<Activities>(asLocalStep(options)) : proxyActivities<Activities>(options);
}
