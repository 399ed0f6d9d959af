import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { databaseSteps } from './database-steps';
import { compensationStep, databaseStep, paymentFallbacks, vendorStep } from './policies';
import { orderContract as contract, type SagaInput, type SagaResult } from './contracts';
import { Saga, type SagaState } from './saga';

export type OrderInput = SagaInput<typeof contract>;
export type OrderResult = SagaResult<typeof contract>;

const payments = proxyActivities<Activities>(vendorStep);
const compensations = proxyActivities<Activities>(compensationStep);

/**
 * Shop order (seed 004): create the order (PENDING, totals from catalog prices) → reserve
 * stock for every line, all or nothing → authorize and capture the payment → confirm.
 * Rolling back releases the stock, voids or refunds the payment and cancels the order
 * with the reason (OUT_OF_STOCK, PAYMENT_DECLINED, ...), all three at once.
 *
 * Patch `order-local-steps`: the three database steps (createOrder, reserveStock, confirmOrder)
 * run as local activities, as the entry and exit sagas' do (short writes to our own database),
 * and the search attributes the API set at the start are not upserted again. One patch for
 * both: each costs a marker and a search attribute upsert of its own. The payment steps call
 * the gateway, which may be slow: ordinary activities, so that the saga answers queries
 * meanwhile. Compensations stay ordinary activities too. Sagas started before replay as they ran.
 */
export async function order(input: OrderInput): Promise<SagaState<OrderInput, OrderResult>> {
  // Patch `order-fewer-markers`, asked first: a saga with it has the patches before it without
  // asking (a marker and an upsert fewer each). Sagas started before ask each where they did.
  const current = patched('order-fewer-markers');
  const localSteps = current || patched('order-local-steps');
  // Releasing stock, voiding the payment and cancelling the order do not depend on each other.
  const saga = new Saga<OrderInput, OrderResult>({
    type: contract.type,
    input,
    keys: contract.keys(input),
    compensationOrder: 'parallel',
    searchAttributesFromStart: localSteps,
    ...(current && { attentionEvents: true }),
  });
  const steps = databaseSteps(databaseStep, localSteps);

  return saga.run(async () => {
    const created = await saga.step('createOrder', {
      run: (key) => steps.createOrder({ key, userId: input.userId, items: input.items }),
      compensate: (key, why) => compensations.undoCreateOrder({ key, reason: why.reason }),
      compensateFirst: true,
    });
    saga.setKeys({ OrderId: created.id });

    await saga.step('reserveStock', {
      run: (key) =>
        steps.reserveStock({ key, orderId: created.id, lines: created.lines.map(({ productId, quantity }) => ({ productId, quantity })) }),
      compensate: (key) => compensations.releaseStock({ key }),
      compensateFirst: true,
    });

    await saga.step('authorizePayment', {
      run: (key, fallbacks) => payments.authorizePayment({ key, fallbacks, purpose: 'order', reference: created.id, amount: created.total }),
      compensate: (key) => compensations.voidPayment({ key, fallbacks: paymentFallbacks }),
      compensateFirst: true,
      fallbacks: paymentFallbacks,
    });
    await saga.step('capturePayment', {
      run: (_key, fallbacks) => payments.capturePayment({ key: saga.keyOf('authorizePayment'), fallbacks }),
      fallbacks: paymentFallbacks,
    });
    await saga.step('confirmOrder', { run: () => steps.confirmOrder({ orderId: created.id, stockKey: saga.keyOf('reserveStock') }) });

    return {
      orderId: created.id,
      status: 'CONFIRMED',
      total: created.total,
      lines: created.lines.map(({ productId, quantity, unitPrice }) => ({ productId, quantity, unitPrice })),
    };
  });
}
