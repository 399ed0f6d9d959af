export { normalizePlate, isValidPlate, withNormalizedPlates, PLATE_LETTERS } from './plate-number';
export { createPlateService, type PlateService, type VerifiedPlate,
  type PlateRead,
  type PlateRecognition,
  type RecognitionOptions, type EntryRecordView, type ExitRecordView } from './plate-service';
