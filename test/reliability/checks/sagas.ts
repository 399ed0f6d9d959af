import { FINAL_STATUSES } from '../../../workflows/saga';
import { sagasFoundInRecords, type Checks } from './context';

/**
 * No saga lost: each is final (COMPLETED, REJECTED, COMPENSATED, FAILED) with its workflow
 * closed, or waits in NEEDS_ATTENTION saying why (a violation too with requireFinal). No more
 * FAILED sagas than the scenario allows. No saga that no client asked for (a request started
 * twice under two ids would be one), and none that left records Temporal does not know.
 */
export function checkSagas(c: Checks): void {
  const { sagas, scope, requireFinal, failedAllowed } = c.input;
  for (const seen of sagas.values()) {
    if (!seen.state) {
      c.v(`saga ${seen.sagaId} is lost: Temporal says ${seen.workflowStatus}`);
      continue;
    }
    const status = seen.state.status;
    if (status === 'NEEDS_ATTENTION') {
      if (requireFinal) c.v(`saga ${seen.sagaId} still needs attention: ${JSON.stringify(seen.state.attention)}`);
      else if (seen.state.attention.length === 0) c.v(`saga ${seen.sagaId} needs attention without saying why`);
    } else if (!FINAL_STATUSES.includes(status) || (requireFinal && seen.workflowStatus === 'RUNNING')) {
      c.v(`saga ${seen.sagaId} never finished: ${status} (workflow ${seen.workflowStatus}), steps ${JSON.stringify(seen.state.steps)}`);
    } else if (status !== 'COMPLETED' && !seen.state.reason) {
      c.v(`saga ${seen.sagaId} ended ${status} without a reason`);
    }
  }

  const failed = [...sagas.values()].filter((s) => s.state?.status === 'FAILED');
  if (failed.length > failedAllowed) {
    const skipped = failed.map((s) => `${s.sagaId} (skipped: ${s.state!.steps.filter((step) => step.compensation === 'SKIPPED').map((step) => step.name).join(', ') || 'none'})`);
    c.v(`${failed.length} sagas ended FAILED, the scenario allows ${failedAllowed}: ${skipped.join('; ')}`);
  }

  for (const id of sagasFoundInRecords(c.records, scope)) {
    if (!scope.sagaIds.has(id)) c.v(`saga ${id} left records, but no client asked for it`);
    if (!sagas.has(id)) c.v(`saga ${id} left records, but the checks were given no such saga`);
  }
}
