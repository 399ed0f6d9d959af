import type { StepResult } from '../../shared/saga-contract';
import { withActivitySummary } from './activity-summaries';
import { Episode } from './attention';
import { describeFailure } from './failures';
import type { OperatorDesk } from './operator';
import type { SagaRecord } from './record';
import type { StepState } from './state';

export type CompensationOrder = 'reverse' | 'parallel';

interface Compensation {
  step: StepState;
  run: (why: { reason: string }) => Promise<StepResult<unknown>>;
}

/**
 * The undo side: each step registers its compensation; on rollback they run newest first
 * ('reverse') or all at once ('parallel'). A compensation that runs out of retries waits
 * for an operator to retry or skip it.
 */
export class Compensations {
  private readonly registered: Compensation[] = [];

  constructor(
    private readonly record: SagaRecord<unknown, unknown>,
    private readonly desk: OperatorDesk,
    private readonly order: CompensationOrder,
  ) {}

  register(step: StepState, run: Compensation['run']): void {
    step.compensation = 'REGISTERED';
    this.registered.push({ step, run });
  }

  /**
   * Runs one undo now, outside the rollback (not registered): like a registered compensation,
   * one that runs out of retries waits for an operator to retry or skip it.
   */
  async runNow(step: StepState, run: Compensation['run']): Promise<void> {
    step.compensation = 'REGISTERED';
    await this.runOne({ step, run });
  }

  /** Runs every registered compensation; true when all of them compensated (none skipped). */
  async runAll(): Promise<boolean> {
    const pending = this.registered.filter((c) => c.step.compensation === 'REGISTERED').reverse();
    if (this.order === 'parallel') {
      await Promise.all(pending.map((c) => this.runOne(c)));
    } else {
      for (const c of pending) await this.runOne(c);
    }
    return this.registered.every((c) => c.step.compensation === 'COMPENSATED');
  }

  private async runOne({ step, run }: Compensation): Promise<void> {
    const { metrics, state } = this.record;
    const episode = new Episode(); // opened when an operator is first asked about this compensation
    for (;;) {
      step.compensation = 'RUNNING';
      this.record.showDetails();
      try {
        const result = await withActivitySummary(`compensation of ${step.name}`, () => run({ reason: state.reason ?? 'COMPENSATED' }));
        step.compensationAttempts += result.attempt;
        step.compensation = 'COMPENSATED';
        delete step.compensationError;
        metrics.compensations.add(1, { step: step.name, outcome: 'compensated' });
        const resolving = this.desk.resolve(episode, 'COMPENSATED');
        if (resolving) await resolving;
        return;
      } catch (err) {
        const failure = describeFailure(err);
        step.compensationAttempts += failure.attempts;
        step.compensation = 'FAILED';
        step.compensationError = failure.message;
        metrics.compensations.add(1, { step: step.name, outcome: 'failed' });
        const decision = await this.desk.ask({ kind: 'COMPENSATION', step: step.name, error: failure.message }, [
          'retryCompensation',
          'skipCompensation',
        ], episode);
        if (decision === 'skipCompensation') {
          step.compensation = 'SKIPPED';
          metrics.compensations.add(1, { step: step.name, outcome: 'skipped' });
          const resolving = this.desk.resolve(episode, 'SKIPPED');
          if (resolving) await resolving;
          return;
        }
      }
    }
  }
}
