import type { SagaAttention, SagaEventService, SagaResolution } from '../domains/events';

/**
 * The saga kit's own events (workflows/saga/attention.ts): a saga parked for an operator, and how
 * an operator resolved it. Each writes its event in one transaction; the event's id derives from
 * the saga id and the attention episode, so a retry after a write that committed writes nothing new.
 * Failures are retried by the kit's policy (`sagaEventStep`) until the database answers.
 */
export function createSagaEventActivities(sagaEvents: SagaEventService) {
  return {
    recordSagaNeedsAttention: (attention: SagaAttention) => sagaEvents.needsAttention(attention),
    recordSagaResolved: (resolution: SagaResolution) => sagaEvents.resolved(resolution),
  };
}
