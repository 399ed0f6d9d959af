import { condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import { asLocalStep, databaseStep, vendorStep } from '../workflows/policies';
import { LotIdKey, PlateKey, SagaStatusKey, SagaTypeKey } from '../workflows/saga/search-attributes';
import type { BaselineActivities } from './baseline-activities';
import type { FairStep } from './fair-baselines';

/**
 * The engine baseline: the vehicle entry saga's shape without the platform. Four activities
 * in a row (as many as the entry saga runs: verify, findReservation, allocate,
 * createEntryRecord), with the same options (databaseStep), doing nothing; no database,
 * no saga kit. Started like the API starts a saga: update-with-start on an `answer` update
 * that returns once the workflow has its result (or a plain start and wait for the result).
 *
 * With `searchAttributes` (the baseline-sa workload) it also keeps the saga's search
 * attributes as the saga kit does (type, status and lot at the start, the plate after the
 * first step, the status at the end), to weigh what they cost the server.
 */
export interface BaselineInput {
  id: string;
  searchAttributes?: boolean;
}

export interface BaselineResult {
  id: string;
  steps: number;
}

export const baselineAnswer = defineUpdate<BaselineResult>('answer');

const steps = proxyActivities<BaselineActivities>(databaseStep);

export async function baselineEntry(input: BaselineInput): Promise<BaselineResult> {
  let result: BaselineResult | undefined;
  setHandler(baselineAnswer, async () => {
    await condition(() => result !== undefined);
    return result!;
  });
  if (input.searchAttributes) {
    upsertSearchAttributes([
      { key: SagaTypeKey, value: 'Baseline' },
      { key: SagaStatusKey, value: 'RUNNING' },
      { key: LotIdKey, value: 'bench' },
    ]);
  }
  const verified = await steps.verify(input.id);
  if (input.searchAttributes) upsertSearchAttributes([{ key: PlateKey, value: verified }]);
  const reservation = await steps.findReservation(verified);
  const allocation = await steps.allocate(reservation);
  await steps.createEntryRecord(allocation);
  if (input.searchAttributes) upsertSearchAttributes([{ key: SagaStatusKey, value: 'COMPLETED' }]);
  result = { id: input.id, steps: 4 };
  return result;
}

export interface FairBaselineInput {
  id: string;
  /** The saga's steps, in order (bench/fair-baselines.ts). */
  steps: FairStep[];
  /** After the answer, stay open this long on a timer (as a reservation waits for its car). */
  holdMs?: number;
}

const localSteps = proxyLocalActivities<BaselineActivities>(asLocalStep(databaseStep));
const vendorCalls = proxyActivities<BaselineActivities>(vendorStep);

/**
 * A fair baseline (bench/fair-baselines.ts): the steps of one saga, of the same kinds (local
 * or ordinary activities, vendor round trips) with the sagas' option sets, doing nothing
 * else; answered through the same `answer` update.
 */
export async function baselineSteps(input: FairBaselineInput): Promise<BaselineResult> {
  let result: BaselineResult | undefined;
  setHandler(baselineAnswer, async () => {
    await condition(() => result !== undefined);
    return result!;
  });
  let value = input.id;
  for (const step of input.steps) {
    value = step === 'local' ? await localSteps.noop(value) : step === 'activity' ? await steps.noop(value) : await vendorCalls.vendorRoundTrip(value);
  }
  result = { id: input.id, steps: input.steps.length };
  if (input.holdMs) await sleep(input.holdMs);
  return result;
}
