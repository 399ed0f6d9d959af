import { checkInvariants, waitForSagas, type InvariantReport } from '../invariants';
import type { Load } from './load';
import type { World } from './world';

export interface Verdict extends InvariantReport {
  /** Sagas that waited for an operator, and were sent on (retryStep / retryCompensation) once things were healed. */
  operatorRetries: string[];
  load: Record<string, number>;
}

export interface FinishOptions {
  timeoutMs?: number;
  /** How many sagas may end FAILED: each scenario says (normally none, the default). */
  failedAllowed?: number;
}

/**
 * The end of every scenario: with the faults gone (and a worker running, should a kill
 * switch have ended the last one), wait for every saga to settle, play the operator for those
 * that asked for one (retry, now that things work), then check the invariants, requiring
 * every saga to have ended.
 */
export async function finish(world: World, load: Load, options: FinishOptions = {}): Promise<Verdict> {
  world.healVendors();
  await world.db.faultSwitch.deleteMany({});
  await world.ensureWorker();
  const timeoutMs = options.timeoutMs ?? 150_000;
  const operatorRetries: string[] = [];
  for (let round = 0; round < 5; round++) {
    const seen = await waitForSagas(world.temporal, load.scope.sagaIds, timeoutMs);
    const waiting = [...seen.values()].filter((s) => s.state?.status === 'NEEDS_ATTENTION');
    if (waiting.length === 0) break;
    for (const s of waiting) {
      const signal = s.state!.attention.some((a) => a.kind === 'COMPENSATION') ? 'retryCompensation' : 'retryStep';
      operatorRetries.push(`${s.sagaId}:${signal}`);
      await world.sagas.signal(s.sagaId, signal, { reason: 'reliability suite: the fault is gone', by: 'reliability-operator' });
    }
    // Give the sagas a moment to leave NEEDS_ATTENTION before looking again.
    await new Promise((r) => setTimeout(r, 1000));
  }
  const report = await checkInvariants({ db: world.db, temporal: world.temporal, gatewayUrl: world.gatewayUrl }, load.scope, {
    requireFinal: true,
    timeoutMs,
    failedAllowed: options.failedAllowed ?? 0,
  });
  return { ...report, operatorRetries, load: load.summary() };
}

/** One line for the test log: what ran and how it ended. */
export function describeVerdict(name: string, verdict: Verdict, startedAt: number): string {
  return `[reliability] ${name}: ${Math.round((Date.now() - startedAt) / 1000)} s; sagas ${JSON.stringify(verdict.statuses)}; answers ${JSON.stringify(
    verdict.load,
  )}; operator retries ${verdict.operatorRetries.length}; untracked ${verdict.untracked.length}; violations ${verdict.violations.length}`;
}
