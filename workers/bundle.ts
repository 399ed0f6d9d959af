import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workflow code's entry point, as webpack sees it. */
const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The saga kit's workflow interceptors, in every bundle: each step's activities carry its name as their summary. */
const SAGA_INTERCEPTOR_MODULES = [fileURLToPath(new URL('../workflows/saga/activity-summaries.ts', import.meta.url))];

/**
 * Modules that every workflow run in a worker thread shares, loaded once: zod and the sagas'
 * contracts (their schemas, signal and update definitions). The SDK gives each new workflow run
 * fresh copies of the bundle's modules: evaluating the saga bundle's costs about 10 ms of CPU per
 * saga (the engine baseline's 1.4), 8 of them zod and the contracts' schemas. Safe to share: they
 * hold definitions only, no state of a workflow run, and workflow code only reads them (the SDK
 * freezes what it shares, so a write would fail loudly).
 */
const SHARED_MODULES = ['zod', fileURLToPath(new URL('../workflows/contracts/index.ts', import.meta.url))];

/** The saga kit's bundle options, for every bundle of saga workflows (workers, tests, benchmark). */
export const SAGA_BUNDLE_OPTIONS = { workflowInterceptorModules: SAGA_INTERCEPTOR_MODULES, preloadModules: SHARED_MODULES };

/** Workflow interceptors bundled with the workflows: OpenTelemetry spans for workflows and their calls. */
const WORKFLOW_INTERCEPTOR_MODULES = [
  createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

export interface BundleOptions {
  tracing: boolean;
  /** Interceptor modules to put first, outermost (the benchmark's variants). */
  interceptorModules?: string[];
}

/** The workflow bundle's code (see buildWorkflowBundle). */
export async function bundleWorkflows({ tracing, interceptorModules = [] }: BundleOptions): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [...interceptorModules, ...SAGA_INTERCEPTOR_MODULES, ...(tracing ? WORKFLOW_INTERCEPTOR_MODULES : [])],
    preloadModules: SHARED_MODULES,
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

/**
 * Bundles the workflow code once, so that workers start without running webpack. With
 * `tracing`, the OpenTelemetry workflow interceptors go in: workers that export traces need
 * them, and the others are spared their cost (about 12 ms of worker CPU per saga, see bench/).
 * They add no commands to histories, so either bundle replays the other's.
 */
export async function buildWorkflowBundle(outputPath: string, options: BundleOptions): Promise<void> {
  const code = await bundleWorkflows(options);
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFile(outputPath, code);
}
