/** Builds the API's OpenAPI document without servers, and turns it into TypeScript types. */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildApp } from '../api/app';
import type { AppDeps } from '../api/deps';

export const CLIENT_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * The document the API serves at GET /openapi.json. Building the routes calls none of their
 * dependencies, so none is connected here (faults on: the document lists the test-only routes too).
 */
export async function describeApi() {
  const deps = {
    domains: {},
    faultsEnabled: true,
    auth: { secret: 'describe-only', expiresIn: '1h', devices: [] },
    rateLimits: { loginPerAddress: 5, loginPerAccount: 5, registrationsPerAddress: 5, sagaStartsPerUser: 5 },
  } as unknown as AppDeps;
  const app = await buildApp(deps, { logger: false });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
  }
}

const HEADER = '// Generated from the API\'s OpenAPI document by `npm run client:generate` (openapi-typescript). Do not edit.\n\n';

export async function generateTypes(document: object): Promise<string> {
  return HEADER + astToString(await openapiTS(document as Parameters<typeof openapiTS>[0]));
}
