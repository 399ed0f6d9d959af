import type { Db } from '../db/client';
import { createFaultSwitches } from './faults/fault-switch';
import { createParkingService } from './parking';
import { createPlateService } from './plates';

/** Wires every domain service to one database. */
export function createDomains(db: Db, options: { faultsEnabled: boolean }) {
  const faults = createFaultSwitches(db, options.faultsEnabled);
  return {
    faults,
    parking: createParkingService({ db, faults }),
    plates: createPlateService({ db, faults }),
  };
}

export type Domains = ReturnType<typeof createDomains>;
export { BusinessRejection, NotFoundError } from './errors';
