import { BusinessRejection } from '../../domains/errors';
import { asStep } from '../../activities/as-step';
import type { SagaAttention, SagaResolution } from '../../domains/events';

/**
 * The activities of test/support/kit-workflow.ts, run by the test's own in-process worker:
 * what they do is decided by the test through `script` (which keys fail or reject), and
 * every call is written to `script.log`, so the test reads the order the kit called them in.
 */
export interface KitScript {
  /** Step keys (`<sagaId>/<step>`) whose step fails (retryable), and whose undo fails. */
  failingSteps: Set<string>;
  failingUndos: Set<string>;
  /** Step keys whose step is rejected by a business rule (never retried). */
  rejectedSteps: Set<string>;
  /**
   * When set, each undo of a saga whose id is the key waits until this many undos of that saga
   * have started: undos run one after another would never get there (the test then fails).
   */
  undoBarrier: Map<string, number>;
  log: string[];
}

export function createKitScript(): KitScript {
  return { failingSteps: new Set(), failingUndos: new Set(), rejectedSteps: new Set(), undoBarrier: new Map(), log: [] };
}

export function createKitActivities(script: KitScript) {
  const startedUndos = (sagaId: string) => script.log.filter((line) => line.startsWith(`undo-start ${sagaId}/`)).length;
  return {
    runKitStep: asStep(async ({ key }: { key: string }) => {
      script.log.push(`step ${key}`);
      if (script.rejectedSteps.has(key)) throw new BusinessRejection('KIT_REJECTED', `${key} rejected`);
      if (script.failingSteps.has(key)) throw new Error(`${key} failed`);
      return key.split('/').at(-1)!;
    }),
    undoKitStep: asStep(async ({ key, reason }: { key: string; reason: string }) => {
      script.log.push(`undo-start ${key} ${reason}`);
      const sagaId = key.slice(0, key.lastIndexOf('/'));
      const barrier = script.undoBarrier.get(sagaId);
      while (barrier !== undefined && startedUndos(sagaId) < barrier) await new Promise((r) => setTimeout(r, 20));
      if (script.failingUndos.has(key)) {
        script.log.push(`undo-failed ${key}`);
        throw new Error(`undo of ${key} failed`);
      }
      script.log.push(`undo-end ${key}`);
      return 'undone';
    }),
    // The kit's own event activities (workflows/saga/attention.ts), as the product's names them: logged, not written.
    recordSagaNeedsAttention: async (attention: SagaAttention) => {
      script.log.push(`needs_attention ${attention.sagaId} ${attention.episode} ${attention.kind} ${attention.step} ${attention.signals.join(',')}`);
    },
    recordSagaResolved: async (resolution: SagaResolution) => {
      script.log.push(`resolved ${resolution.sagaId} ${resolution.episode} ${resolution.step} ${resolution.action} ${resolution.outcome} ${resolution.status}`);
    },
  };
}

export type KitActivities = ReturnType<typeof createKitActivities>;
