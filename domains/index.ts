import type { Db } from '../db/client';
import { createFaultSwitches } from './faults/fault-switch';
import { createParkingService } from './parking';
import { createPlateService, type PlateRecognition } from './plates';

export interface DomainOptions {
  faultsEnabled: boolean;
  /** The plate-recognition engine (workers); the API checks plates without it. */
  recognition?: PlateRecognition;
}

/** Wires every domain service to one database. */
export function createDomains(db: Db, options: DomainOptions) {
  const faults = createFaultSwitches(db, options.faultsEnabled);
  return {
    faults,
    parking: createParkingService({ db, faults }),
    plates: createPlateService({ db, faults, ...(options.recognition && { recognition: options.recognition }) }),
  };
}

export type Domains = ReturnType<typeof createDomains>;
export { BusinessRejection, NotFoundError } from './errors';
