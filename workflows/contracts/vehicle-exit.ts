import { z } from 'zod';
import { defineSaga } from './define';

/** Vehicle exit: verify the plate, end the stay, record the exit, free the space. */
export const vehicleExitContract = defineSaga({
  type: 'VehicleExit',
  workflowType: 'vehicleExit',
  idPrefix: 'exit',
  title: 'Vehicle exit',
  description: 'Verify the plate, end the stay, record the exit, free the space.',
  facts: (input) => [input.plate, `lot ${input.lotId}`],
  input: z.object({ lotId: z.string().min(1).max(100), plate: z.string().min(1).max(20) }),
  result: z.object({
    plate: z.string(),
    lotId: z.string(),
    spaceId: z.string(),
    stayId: z.string(),
    exitRecordId: z.string(),
    durationSeconds: z.number(),
  }),
  keys: (input) => ({ LotId: input.lotId }),
  signals: {},
});
