import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { plateVerificationStep } from './policies';
import type { Saga } from './saga';

// The plate check calls the ANPR vendor, which may be slow: an ordinary activity, so that the
// saga answers queries and updates meanwhile (a local step holds its workflow task).
const plateChecks = proxyActivities<Activities>(plateVerificationStep);

/**
 * The verifyPlate step of the entry and exit sagas (seed 001): the ANPR vendor confirms the
 * plate, falling back to the backup vendor, then to the cached read. Sets the Plate key to the
 * normalised plate and returns it.
 */
export async function verifyPlateStep(saga: Saga<{ plate: string }, unknown>, rawPlate: string): Promise<string> {
  const { plate } = await saga.step('verifyPlate', {
    run: (_key, fallbacks) => plateChecks.verifyPlate({ plate: rawPlate, fallbacks }),
    fallbacks: { cacheFallback: true, alternativeServices: true },
  });
  saga.setKeys({ Plate: plate });
  return plate;
}
