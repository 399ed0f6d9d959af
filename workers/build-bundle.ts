import { parseArgs } from 'node:util';
import { parseSettings } from '../config/settings';
import { buildWorkflowBundle } from './bundle';

/**
 * `npm run bundle [-- <path>] [--tracing]`: writes the workflow bundle that workers and the
 * replay test load. The tracing interceptors go in when OTEL_EXPORTER_OTLP_ENDPOINT is set, or
 * with --tracing (the image's bundle, whose tracing is decided when it runs).
 */
const { positionals, values } = parseArgs({ allowPositionals: true, options: { tracing: { type: 'boolean', default: false } } });
// It serves nothing, so it needs no production secrets (the image builds it with none set).
const settings = parseSettings(process.env, { serving: false });
const path = positionals[0] ?? settings.WORKFLOW_BUNDLE_PATH;
const tracing = values.tracing || settings.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
await buildWorkflowBundle(path, { tracing });
console.log(`workflow bundle written to ${path}${tracing ? ' (with the tracing interceptors)' : ''}`);
