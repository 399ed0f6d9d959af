/**
 * A typed client of the platform's HTTP API: openapi-fetch over the types generated from the
 * API's OpenAPI document (client/schema.ts; `npm run client:generate` rewrites it).
 *
 * @example
 * const api = createApiClient({ baseUrl: 'http://127.0.0.1:3000', deviceKey: 'dev-gate-device-key' });
 * const { data, error, response } = await api.POST('/vehicle-entries', { body: { lotId, plate: '34 ABC 123' } });
 * if (response.status === 201) console.log(data.spaceNumber);
 */
import createClient, { type ClientOptions } from 'openapi-fetch';
import type { paths } from './schema';

export type { components, operations, paths } from './schema';

export interface ApiClientOptions extends Pick<ClientOptions, 'baseUrl' | 'fetch'> {
  /** A token from POST /users/login, sent as `authorization: Bearer …`. */
  token?: string;
  /** A gate device's key, sent as `x-device-key`. */
  deviceKey?: string;
}

export function createApiClient({ token, deviceKey, ...options }: ApiClientOptions) {
  return createClient<paths>({
    ...options,
    headers: { ...(token && { authorization: `Bearer ${token}` }), ...(deviceKey && { 'x-device-key': deviceKey }) },
  });
}

export type ApiClient = ReturnType<typeof createApiClient>;
