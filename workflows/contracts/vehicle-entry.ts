import { z } from 'zod';
import { defineSaga, sagaSignal } from './define';
import { operatorInput } from './saga';

/** Vehicle entry: verify the plate, allocate a space, record the entry (and wait at the gate when the lot asks). */
export const vehicleEntryContract = defineSaga({
  type: 'VehicleEntry',
  workflowType: 'vehicleEntry',
  idPrefix: 'entry',
  title: 'Vehicle entry',
  description: 'Verify the plate, allocate a space, record the entry (and wait at the gate when the lot asks).',
  facts: (input) => [input.plate, `lot ${input.lotId}`],
  // The shape only; the plate rules belong to the plate domain (a REJECTED INVALID_PLATE).
  input: z.object({ lotId: z.string().min(1).max(100), plate: z.string().min(1).max(20) }),
  result: z.object({
    plate: z.string(),
    lotId: z.string(),
    spaceId: z.string(),
    spaceNumber: z.number(),
    stayId: z.string(),
    entryRecordId: z.string(),
  }),
  keys: (input) => ({ LotId: input.lotId }),
  signals: {
    /** The gate saw the car go through (lots that require gate confirmation). */
    gatePassed: { payload: operatorInput.optional(), from: 'device', awaits: 'the car at the gate' },
  },
});

export const gatePassedSignal = sagaSignal(vehicleEntryContract, 'gatePassed');
