export { normalizePlate, isValidPlate } from './plate-number';
export { createPlateService, type PlateService, type VerifiedPlate, type EntryRecordView, type ExitRecordView } from './plate-service';
