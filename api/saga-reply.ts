import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { FINAL_STATUSES, requestId as requestIdSchema, sagaStatus, type AnySagaContract, type SagaState } from '../workflows/contracts';
import type { StartedSaga } from '../temporal/saga-client';

/** The optional `requestId` of every saga-starting body: the same id reaches the same saga. */
export const requestId = requestIdSchema.optional();

/**
 * The answers of a route that starts a saga: 201 with its result, 202 while it runs (with its
 * record's id once known), 409 when it was rejected or rolled back (or the requestId was reused).
 */
export function sagaReplies(contract: AnySagaContract) {
  let replies = REPLIES.get(contract);
  if (!replies) REPLIES.set(contract, (replies = buildReplies(contract)));
  return replies;
}

// Built once per saga: their ids name them in the OpenAPI document's components.
const REPLIES = new Map<AnySagaContract, ReturnType<typeof buildReplies>>();

function buildReplies(contract: AnySagaContract) {
  const recordField = contract.record ? { [contract.record.field]: z.string().optional() } : {};
  const started = z.object({ sagaId: z.string(), status: sagaStatus, ...recordField });
  return {
    201: z.object({ sagaId: z.string(), status: z.string() }).extend(contract.result.shape).meta({ id: `${contract.type}Completed` }),
    202: started.meta({ id: `${contract.type}Running` }),
    409: z
      .object({
        sagaId: z.string().optional(),
        /** The saga's status, or its record's (CANCELLED) when it owns one. */
        status: z.string().optional(),
        sagaStatus: sagaStatus.optional(),
        reason: z.string().optional(),
        message: z.string().optional(),
        error: z.string().optional(),
        ...recordField,
      })
      .meta({ id: `${contract.type}Refused` }),
  };
}

/**
 * Answers a started saga: 201 with its result when it completed, 409 with the reason
 * when it was rejected or rolled back, 202 while it is still running (or waits for someone).
 * A saga that owns a record (an order, a reservation) names it by its contract's `record`.
 */
export function replyWithSaga(reply: FastifyReply, { sagaId, state }: StartedSaga, input: object, contract: AnySagaContract) {
  if (!sameInput(state, input)) {
    return reply.code(409).send({
      sagaId,
      status: state.status,
      reason: 'REQUEST_ID_REUSED',
      message: 'this requestId already started a saga with a different body',
    });
  }
  const status = state.status;
  const record = contract.record;
  if (status === 'COMPLETED') return reply.code(201).send({ sagaId, status, ...(state.result as object) });
  if (FINAL_STATUSES.includes(status)) {
    const recordId = record ? state.keys?.[record.key] : undefined;
    if (record && recordId) {
      return reply
        .code(409)
        .send({ sagaId, [record.field]: recordId, status: record.cancelledStatus, sagaStatus: status, reason: state.reason, message: state.error });
    }
    return reply.code(409).send({ sagaId, status, reason: state.reason, message: state.error });
  }
  const recordId = record ? state.keys?.[record.key] : undefined;
  return reply.code(202).send({ sagaId, status, ...(recordId && { [record!.field]: recordId }) });
}

function sameInput(state: SagaState, input: object): boolean {
  const stored = state.input as Record<string, unknown>;
  return Object.entries(input).every(([k, v]) => JSON.stringify(stored?.[k]) === JSON.stringify(v));
}
