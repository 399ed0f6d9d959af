import { CancellationScope, condition, isCancellation, log, patched, setHandler } from '@temporalio/workflow';
import { OPERATOR_SIGNAL_MEANINGS } from '../contracts/saga';
import { AttentionEvents, Episode, type Decision, type Outcome } from './attention';
import type { SagaRecord } from './record';
import {
  answerUpdate,
  compensateSignal,
  retryCompensationSignal,
  retryStepSignal,
  skipCompensationSignal,
  stateQuery,
  type OperatorInput,
  type OperatorSignal,
} from './signals';
import type { Attention, SagaState } from './state';

/**
 * The saga's side that faces people: the query and update that show its state, the operator
 * signals and a cancel from the CLI or Web UI, the audit trail of who did what, and the
 * NEEDS_ATTENTION wait for an operator's decision.
 */
export class OperatorDesk {
  /** A cancel was requested: the workflow closes as Canceled after its rollback. */
  cancelled = false;
  private decision?: { seq: number; signal: OperatorSignal; input: Decision };
  private decisionSeq = 0;
  /** Who asked the saga to stop going forward (a compensate signal, a cancel): it ends a step's wait. */
  private stopAction?: Decision;
  private readonly events: AttentionEvents;

  /** `attentionEvents`: write saga.needs_attention and saga.resolved (patch `saga-attention-events`). */
  constructor(
    private readonly record: SagaRecord<unknown, unknown>,
    attentionEvents = false,
  ) {
    this.events = new AttentionEvents(record, attentionEvents);
    setHandler(stateQuery, () => record.state as SagaState);
    setHandler(answerUpdate, async () => {
      await condition(() => this.hasAnswer());
      return record.state as SagaState;
    });
    // The descriptions show in the Web UI's Send a Signal dialog.
    const described = (signal: OperatorSignal) => ({ description: OPERATOR_SIGNAL_MEANINGS[signal] });
    setHandler(compensateSignal, (input) => this.onCompensate(input), described('compensate'));
    setHandler(retryStepSignal, (input) => this.onDecision('retryStep', input), described('retryStep'));
    setHandler(retryCompensationSignal, (input) => this.onDecision('retryCompensation', input), described('retryCompensation'));
    setHandler(skipCompensationSignal, (input) => this.onDecision('skipCompensation', input), described('skipCompensation'));
    // A cancel from the CLI or the Web UI rolls the saga back instead of abandoning it.
    CancellationScope.current().cancelRequested.catch(() => {
      this.cancelled = true;
      this.recordAction('cancel', { reason: 'workflow cancellation requested' }, true);
      this.stopAction ??= { action: 'cancel', reason: 'workflow cancellation requested', at: new Date().toISOString() };
      record.stopRequest ??= { reason: 'CANCELLED', message: 'the workflow was cancelled' };
    });
  }

  /** Records an action in the audit trail (gate devices and operators). */
  recordAction(action: string, input: OperatorInput | undefined, accepted: boolean): void {
    this.record.metrics.operatorActions.add(1, { action, accepted: String(accepted) });
    log.info('saga action', { action, accepted, reason: input?.reason, by: input?.by });
    this.record.state.actions.push({
      action,
      ...(input?.reason !== undefined && { reason: input.reason }),
      ...(input?.by !== undefined && { by: input.by }),
      at: new Date().toISOString(),
      accepted,
    });
  }

  /** Records an anomaly the saga handled in the audit trail (by "saga"), the `saga_anomalies` metric and the log. */
  recordAnomaly(kind: string, detail: string): void {
    this.record.metrics.anomalies.add(1, { kind });
    log.warn('saga anomaly', { kind, detail });
    this.record.state.actions.push({ action: kind, reason: detail, by: 'saga', at: new Date().toISOString(), accepted: true });
  }

  /**
   * Parks the saga in NEEDS_ATTENTION until an operator sends one of `signals`; a step
   * (going forward) also takes compensate, and a cancellation counts as one. `episode` is the
   * failed step's or compensation's: its first question writes saga.needs_attention, and it
   * keeps the decision for its saga.resolved (see `resolve`).
   */
  async ask(attention: Omit<Attention, 'since'>, signals: OperatorSignal[], episode: Episode = new Episode()): Promise<OperatorSignal> {
    const { state, metrics } = this.record;
    const entry: Attention = { ...attention, since: new Date().toISOString() };
    const forward = attention.kind === 'STEP';
    const accepted: OperatorSignal[] = forward ? [...signals, 'compensate'] : signals;
    const seen = this.decisionSeq;
    state.attention.push(entry);
    metrics.needsAttention.add(1, { kind: attention.kind });
    log.warn('saga needs attention', { kind: attention.kind, step: attention.step, error: attention.error });
    state.awaiting = [...new Set([...state.awaiting, ...accepted])];
    this.record.setStatus('NEEDS_ATTENTION');
    // Signals that come in meanwhile are taken by their handlers: the wait below sees them.
    const opening = this.events.opened(episode, entry, accepted);
    if (opening) await opening;
    const decided = () => this.decisionAfter(seen, accepted) !== undefined;
    try {
      await condition(() => decided() || (forward && this.record.stopRequest !== undefined));
    } catch (err) {
      // Cancelled while waiting on a step: the cancel handler has asked for compensation.
      if (!isCancellation(err)) throw err;
    }
    state.attention = state.attention.filter((a) => a !== entry);
    if (state.attention.length === 0) {
      state.awaiting = forward ? ['compensate'] : [];
      this.record.setStatus(forward ? 'RUNNING' : 'COMPENSATING');
    }
    this.record.showDetails();
    const decision = this.decisionAfter(seen, accepted);
    episode.decision = decision ? this.decision!.input : (this.stopAction ?? { action: 'compensate', at: new Date().toISOString() });
    return decision ?? 'compensate';
  }

  /**
   * Writes saga.resolved for an episode that asked an operator: what became of its step or
   * compensation, and the saga's status once the operator's action took effect (default: now).
   * Undefined when there is nothing to write: await it only when it is a promise (see AttentionEvents).
   */
  resolve(episode: Episode, outcome: Outcome, status?: string): Promise<void> | undefined {
    return this.events.resolved(episode, outcome, status);
  }

  /** True once the caller can be answered: ended, completed, or waiting for someone outside. */
  private hasAnswer(): boolean {
    const { status, awaiting } = this.record.state;
    if (status !== 'RUNNING' && status !== 'COMPENSATING') return true;
    return status === 'RUNNING' && awaiting.some((signal) => signal !== 'compensate');
  }

  private decisionAfter(seen: number, accepted: OperatorSignal[]): OperatorSignal | undefined {
    const decision = this.decision;
    return decision && decision.seq > seen && accepted.includes(decision.signal) ? decision.signal : undefined;
  }

  /**
   * True for an operator signal without a non-blank reason, which the saga refuses (issue 10: every
   * operator action says why). The API refuses one before sending it, but a signal sent with the
   * `temporal` CLI or an SDK client reaches the saga directly. Refused, it is on record in the audit
   * trail (accepted: false) and the saga keeps waiting. Behind a patch, since histories from before
   * it may hold such signals that were taken; patched() is asked only when the reason is missing, so
   * the histories of signals with reasons carry no marker.
   */
  private lacksReason(signal: OperatorSignal, input: OperatorInput | undefined): boolean {
    const reason: unknown = input?.reason; // a signal's payload is not validated: the CLI sends any JSON
    if (typeof reason === 'string' && reason.trim() !== '') return false;
    if (!patched('operator-reason-required')) return false;
    log.warn('operator signal without a reason refused', { signal, by: input?.by });
    return true;
  }

  private onCompensate(input: OperatorInput | undefined): void {
    const accepted = !this.lacksReason('compensate', input) && this.record.state.awaiting.includes('compensate') && this.record.stopRequest === undefined;
    this.recordAction('compensate', input, accepted);
    if (accepted) {
      this.stopAction = decisionOf('compensate', input);
      this.record.stopRequest = { reason: 'OPERATOR', message: input?.reason ?? 'compensation requested by an operator' };
    }
  }

  private onDecision(signal: OperatorSignal, input: OperatorInput | undefined): void {
    const { status, awaiting } = this.record.state;
    const waiting = status === 'NEEDS_ATTENTION' && awaiting.includes(signal);
    // Skipping a compensation leaves the world unbalanced: it needs a reason on record.
    const accepted = !this.lacksReason(signal, input) && waiting && (signal !== 'skipCompensation' || Boolean(input?.reason));
    this.recordAction(signal, input, accepted);
    if (accepted) this.decision = { seq: ++this.decisionSeq, signal, input: decisionOf(signal, input) };
  }
}

function decisionOf(action: OperatorSignal, input: OperatorInput | undefined): Decision {
  return {
    action,
    ...(typeof input?.by === 'string' && { by: input.by }),
    ...(typeof input?.reason === 'string' && { reason: input.reason }),
    at: new Date().toISOString(),
  };
}
