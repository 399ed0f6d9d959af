import type { FastifyReply } from 'fastify';
import type { SagaState } from '../workflows/saga';
import type { StartedSaga } from '../temporal/saga-client';

/** Letters, digits and . _ : - : safe inside a workflow id. */
export const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

export interface ReplyOptions {
  /**
   * For sagas that own a record (an order, a reservation): the record's id key in the saga's
   * keys and the status the record ends in when the saga rolls back, e.g. ['OrderId', 'orderId', 'CANCELLED'].
   */
  record?: { key: string; field: string; cancelledStatus: string };
}

/**
 * Answers a started saga: 201 with its result when it completed, 409 with the reason
 * when it was rejected or rolled back, 202 while it is still running (or waits for someone).
 */
export function replyWithSaga(reply: FastifyReply, { sagaId, state }: StartedSaga, input: object, options: ReplyOptions = {}) {
  if (!sameInput(state, input)) {
    return reply.code(409).send({
      sagaId,
      status: state.status,
      reason: 'REQUEST_ID_REUSED',
      message: 'this requestId already started a saga with a different body',
    });
  }
  const status = state.status;
  if (status === 'COMPLETED') return reply.code(201).send({ sagaId, status, ...(state.result as object) });
  if (status === 'REJECTED' || status === 'COMPENSATED' || status === 'FAILED') {
    const record = options.record;
    const recordId = record ? state.keys?.[record.key] : undefined;
    if (record && recordId) {
      return reply
        .code(409)
        .send({ sagaId, [record.field]: recordId, status: record.cancelledStatus, sagaStatus: status, reason: state.reason, message: state.error });
    }
    return reply.code(409).send({ sagaId, status, reason: state.reason, message: state.error });
  }
  const recordId = options.record ? state.keys?.[options.record.key] : undefined;
  return reply.code(202).send({ sagaId, status, ...(recordId && { [options.record!.field]: recordId }) });
}

function sameInput(state: SagaState, input: object): boolean {
  const stored = state.input as Record<string, unknown>;
  return Object.entries(input).every(([k, v]) => JSON.stringify(stored?.[k]) === JSON.stringify(v));
}
