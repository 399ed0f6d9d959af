import { CancellationScope, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { sagaEventStep } from '../policies';
import { withActivitySummary } from './activity-summaries';
import type { SagaRecord } from './record';
import type { Attention } from './state';

const { recordSagaNeedsAttention, recordSagaResolved } = proxyActivities<Activities>(sagaEventStep);

/** The operator action that ended a wait for an operator, as its signal said. */
export interface Decision {
  action: string;
  by?: string;
  reason?: string;
  /** When the saga took it (workflow time). */
  at: string;
}

/**
 * One failed step or compensation, from the saga's first question to an operator about it to its
 * outcome: saga.needs_attention when it opens, saga.resolved when it ends. A retry that fails again
 * asks again within the same episode (no second needs_attention: the state shows the new error).
 */
export class Episode {
  /** Numbered at its first question: 1, 2, ... per saga, in workflow order (replays give the same). */
  number?: number;
  attention?: Attention;
  /** The last operator action that moved it (set each time the saga stops waiting). */
  decision?: Decision;
}

export type Outcome = 'COMPLETED' | 'COMPENSATED' | 'SKIPPED' | 'ROLLED_BACK';

/**
 * Writes the saga's attention events through the kit's activities (the workflow imports only their
 * type). `enabled` is the answer of patch `saga-attention-events`, asked once when the saga starts,
 * before any activity: sagas started before it replay without these activities. With nothing to
 * write, the methods answer undefined rather than a promise: awaiting nothing would still let other
 * coroutines of the workflow run first, and sagas from before the patch must replay in the same order.
 */
export class AttentionEvents {
  private episodes = 0;

  constructor(
    private readonly record: SagaRecord<unknown, unknown>,
    private readonly enabled: boolean,
  ) {}

  /** Opens `episode` at its first question (saga.needs_attention); later questions of it write nothing. */
  opened(episode: Episode, attention: Attention, signals: string[]): Promise<void> | undefined {
    if (episode.number !== undefined) return undefined;
    episode.number = ++this.episodes;
    episode.attention = attention;
    if (!this.enabled) return undefined;
    const { state } = this.record;
    const step = [...state.steps].reverse().find((s) => s.name === attention.step);
    const attempts = (attention.kind === 'STEP' ? step?.attempts : step?.compensationAttempts) ?? 0;
    return write('saga.needs_attention', () =>
      recordSagaNeedsAttention({
        sagaId: state.sagaId,
        sagaType: state.type,
        episode: episode.number!,
        kind: attention.kind,
        step: attention.step,
        error: attention.error,
        attempts,
        signals,
        since: attention.since,
        keys: { ...state.keys },
      }),
    );
  }

  /**
   * Ends an opened episode (saga.resolved) with what became of its step or compensation, the
   * operator action that led there, and the saga's status once it took effect (`status`, by
   * default the status now). An episode never opened (the step just worked) writes nothing.
   */
  resolved(episode: Episode, outcome: Outcome, status: string = this.record.state.status): Promise<void> | undefined {
    const { number, attention, decision } = episode;
    if (number === undefined || attention === undefined || !this.enabled) return undefined;
    const { state } = this.record;
    return write('saga.resolved', () =>
      recordSagaResolved({
        sagaId: state.sagaId,
        sagaType: state.type,
        episode: number,
        kind: attention.kind,
        step: attention.step,
        action: decision?.action ?? 'unknown',
        ...(decision?.by !== undefined && { by: decision.by }),
        ...(decision?.reason !== undefined && { reason: decision.reason }),
        outcome,
        status,
        at: decision?.at ?? new Date().toISOString(),
      }),
    );
  }
}

/** Runs a write even in a cancelled saga (a cancel ends an operator wait; its resolution is still told). */
function write(type: string, run: () => Promise<void>): Promise<void> {
  return CancellationScope.nonCancellable(() => withActivitySummary(`${type} event`, run));
}
