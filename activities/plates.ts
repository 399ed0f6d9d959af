import type { PlateService } from '../domains/plates';
import { asStep } from './as-step';

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
    verifyPlate: asStep((input: { plate: string }) => plates.verifyPlate(input.plate)),
    createEntryRecord: asStep((input: CreateEntryRecordInput) => plates.createEntryRecord(input)),
    cancelEntryRecord: asStep((input: { key: string }) => plates.cancelEntryRecord(input.key)),
    createExitRecord: asStep((input: CreateExitRecordInput) =>
      plates.createExitRecord({ ...input, enteredAt: new Date(input.enteredAt), exitedAt: new Date(input.exitedAt) }),
    ),
    cancelExitRecord: asStep((input: { key: string }) => plates.cancelExitRecord(input.key)),
  };
}
