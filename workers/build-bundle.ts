import { loadSettings } from '../config/settings';
import { buildWorkflowBundle } from './bundle';

// `npm run bundle`: writes the workflow bundle that workers and the replay test load.
const path = process.argv[2] ?? loadSettings().WORKFLOW_BUNDLE_PATH;
await buildWorkflowBundle(path);
console.log(`workflow bundle written to ${path}`);
