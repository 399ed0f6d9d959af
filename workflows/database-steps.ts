import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { databaseStep, localDatabaseStep } from './policies';

const asActivities = proxyActivities<Activities>(databaseStep);
const asLocalActivities = proxyLocalActivities<Activities>(localDatabaseStep);

/**
 * The proxy a saga calls its short forward steps through: local activities (see
 * `localDatabaseStep`). Sagas started before the patch replay with ordinary activities.
 * Call it once, at the start of the saga, before any step.
 *
 * @example
 * const steps = databaseSteps();
 * await saga.step('allocateSpace', { run: (key) => steps.allocateSpace({ key, ... }) });
 */
export function databaseSteps(): typeof asActivities {
  return patched('local-database-steps') ? asLocalActivities : asActivities;
}
