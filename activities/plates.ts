import type { PlateService } from '../domains/plates';
import type { StepFallbacks } from '../shared/saga-contract';
import { asStep } from './as-step';
import type { StepAnswers } from '../domains/fences';
import type { Fencing } from './fencing';

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

/** Plate steps and their compensations, fenced (see ./fencing). */
export function createPlateActivities(plates: PlateService, fencing: Fencing, answers: StepAnswers) {
  return {
    /** With its step's key, a rerun answers as the first run did (see StepAnswers): a plate blocked meanwhile does not turn back a saga that went on. */
    checkPlate: asStep((input: { plate: string; key?: string }) =>
      answers.remember(input.key, () => plates.checkPlate(input.plate)),
    ),
    verifyPlate: asStep(async (input: VerifyPlateInput, report) => {
      const verified = await plates.verifyPlate(input.plate, input.fallbacks ?? {});
      if (verified.source) report.via(verified.source);
      return verified;
    }),
    createEntryRecord: asStep((input: CreateEntryRecordInput) =>
      fencing.forward(input.key, () => plates.createEntryRecord(input), () => plates.cancelEntryRecord(input.key)),
    ),
    cancelEntryRecord: asStep((input: { key: string }) => fencing.undo(input.key, () => plates.cancelEntryRecord(input.key))),
    createExitRecord: asStep((input: CreateExitRecordInput) =>
      fencing.forward(
        input.key,
        () => plates.createExitRecord({ ...input, enteredAt: new Date(input.enteredAt), exitedAt: new Date(input.exitedAt) }),
        () => plates.cancelExitRecord(input.key),
      ),
    ),
    cancelExitRecord: asStep((input: { key: string }) => fencing.undo(input.key, () => plates.cancelExitRecord(input.key))),
  };
}
