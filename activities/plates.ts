import type { PlateService } from '../domains/plates';
import type { StepFallbacks } from '../shared/saga-contract';
import { asStep } from './as-step';

export interface VerifyPlateInput {
  plate: string;
  fallbacks?: StepFallbacks;
}

export interface CreateEntryRecordInput {
  key: string;
  plate: string;
  lotId: string;
  spaceId: string;
}

export interface CreateExitRecordInput {
  key: string;
  plate: string;
  lotId: string;
  /** ISO timestamps of the stay. */
  enteredAt: string;
  exitedAt: string;
}

/** Plate steps and their compensations. */
export function createPlateActivities(plates: PlateService) {
  return {
    checkPlate: asStep((input: { plate: string }) => plates.checkPlate(input.plate)),
    verifyPlate: asStep(async (input: VerifyPlateInput, report) => {
      const verified = await plates.verifyPlate(input.plate, input.fallbacks ?? {});
      if (verified.source) report.via(verified.source);
      return verified;
    }),
    createEntryRecord: asStep((input: CreateEntryRecordInput) => plates.createEntryRecord(input)),
    cancelEntryRecord: asStep((input: { key: string }) => plates.cancelEntryRecord(input.key)),
    createExitRecord: asStep((input: CreateExitRecordInput) =>
      plates.createExitRecord({ ...input, enteredAt: new Date(input.enteredAt), exitedAt: new Date(input.exitedAt) }),
    ),
    cancelExitRecord: asStep((input: { key: string }) => plates.cancelExitRecord(input.key)),
  };
}
