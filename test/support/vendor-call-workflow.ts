/**
 * Workflow code for test/vendor-cancellation.test.ts only: the platform's sagas plus a
 * workflow that runs the real verifyPlate activity (which calls the ANPR vendor) once, under
 * a start-to-close timeout from its input. Its worker loads this file's bundle instead of the product's.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';

export * from '../../workflows';

export async function verifyPlateOnce(input: { plate: string; timeoutMs: number }): Promise<unknown> {
  const { verifyPlate } = proxyActivities<Activities>({ startToCloseTimeout: input.timeoutMs, retry: { maximumAttempts: 1 } });
  return verifyPlate({ plate: input.plate, fallbacks: {} });
}
