import { z } from 'zod';
import { defineSaga } from './define';

/** Shop order: create it, reserve stock, take the payment, confirm. */
export const orderContract = defineSaga({
  type: 'Order',
  workflowType: 'order',
  idPrefix: 'order',
  title: 'Order',
  description: 'Create the order, reserve stock for every line, take the payment, confirm.',
  facts: (input) => [`user ${input.userId}`, `${input.items.length} line${input.items.length === 1 ? '' : 's'}`],
  input: z.object({
    /** The ordering user (from the caller's token, not from the body). */
    userId: z.string().min(1).max(100),
    items: z
      .array(z.object({ productId: z.string().min(1).max(100), quantity: z.number().int().min(1).max(10_000) }))
      .min(1)
      .max(100),
  }),
  result: z.object({
    orderId: z.string(),
    status: z.literal('CONFIRMED'),
    total: z.number(),
    lines: z.array(z.object({ productId: z.string(), quantity: z.number(), unitPrice: z.number() })),
  }),
  keys: (input) => ({ UserId: input.userId }),
  signals: {},
  record: { key: 'OrderId', field: 'orderId', cancelledStatus: 'CANCELLED' },
});
