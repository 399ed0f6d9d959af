import type { Db } from '../../db/client';
import type { FaultSwitches } from '../faults/fault-switch';
import type { EventWriter } from './event-log';

/**
 * What a saga tells when it parks for an operator (saga.needs_attention). An episode is one
 * failed step or compensation, from the saga's first question about it to its outcome; a retry
 * that fails again stays in the same episode. Episodes are numbered per saga (1, 2, ...).
 */
export interface SagaAttention {
  sagaId: string;
  sagaType: string;
  episode: number;
  /** STEP: a step ran out of retries; COMPENSATION: an undo did. */
  kind: 'STEP' | 'COMPENSATION';
  step: string;
  error: string;
  /** Activity attempts the step or undo took so far. */
  attempts: number;
  /** The operator signals that would move the saga on. */
  signals: string[];
  /** When the saga parked (workflow time). */
  since: string;
  /** The saga's business keys (Plate, LotId, OrderId, ...). */
  keys: Record<string, string>;
}

/** How an episode ended (saga.resolved). */
export interface SagaResolution {
  sagaId: string;
  sagaType: string;
  episode: number;
  kind: 'STEP' | 'COMPENSATION';
  step: string;
  /** The operator action that ended it: retryStep, retryCompensation, skipCompensation, compensate or cancel. */
  action: string;
  by?: string;
  reason?: string;
  /** What became of the step or undo: COMPLETED, COMPENSATED, SKIPPED, or ROLLED_BACK (the saga rolls back instead). */
  outcome: 'COMPLETED' | 'COMPENSATED' | 'SKIPPED' | 'ROLLED_BACK';
  /** The saga's status once the action took effect. */
  status: string;
  /** When it was decided (workflow time). */
  at: string;
}

/**
 * The event key of a saga's attention episode: both events of one episode derive their ids from
 * it (and their types), so a retried write is the same event. Never from time or randomness.
 */
export const attentionKey = (sagaId: string, episode: number): string => `${sagaId}/attention-${episode}`;

/** The subject of a saga's own events. */
export const sagaSubject = (sagaId: string): string => `saga/${sagaId}`;

/** Writes the saga's own events (the saga kit calls it through two activities). */
export function createSagaEventService({ db, faults, events }: { db: Db; faults: FaultSwitches; events: EventWriter }) {
  const write = async (type: 'saga.needs_attention' | 'saga.resolved', data: SagaAttention | SagaResolution) => {
    const event = { type, key: attentionKey(data.sagaId, data.episode), subject: sagaSubject(data.sagaId), data: { ...data } };
    await db.$transaction([events.stage(event)]);
  };

  // Fault points `sagaEvents.<method>` and `sagaEvents.<method>.after` (a failure after the write): see FaultSwitches.guard.
  return faults.guard('sagaEvents', {
    async needsAttention(attention: SagaAttention): Promise<void> {
      await write('saga.needs_attention', attention);
    },
    async resolved(resolution: SagaResolution): Promise<void> {
      await write('saga.resolved', resolution);
    },
  }, { before: ['needsAttention', 'resolved'] });
}

export type SagaEventService = ReturnType<typeof createSagaEventService>;
