import { Client, Connection } from '@temporalio/client';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/** How a client reaches the frontend beyond its address: TLS, a client certificate, an API key. */
export interface TemporalSecurity {
  tls?: TLSConfig | boolean;
  apiKey?: string;
  metadata?: Record<string, string>;
}

/**
 * The connection's security, from the variables the `temporal` CLI reads too (through
 * @temporalio/envconfig, the SDK's reader of the CLI's convention): TEMPORAL_TLS_CLIENT_CERT_PATH
 * and TEMPORAL_TLS_CLIENT_KEY_PATH (mutual TLS), TEMPORAL_TLS_SERVER_CA_CERT_PATH (a private CA),
 * TEMPORAL_TLS_SERVER_NAME, TEMPORAL_TLS (plain TLS), TEMPORAL_API_KEY, TEMPORAL_GRPC_META_*,
 * the *_DATA variants, and a profile file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE). None set:
 * plaintext, as the dev server wants. A half-given client certificate is an error, not a quiet
 * connection without one.
 */
export function temporalSecurity(env: NodeJS.ProcessEnv = process.env): TemporalSecurity {
  const certGiven = Boolean(env.TEMPORAL_TLS_CLIENT_CERT_PATH || env.TEMPORAL_TLS_CLIENT_CERT_DATA);
  const keyGiven = Boolean(env.TEMPORAL_TLS_CLIENT_KEY_PATH || env.TEMPORAL_TLS_CLIENT_KEY_DATA);
  if (certGiven !== keyGiven) {
    throw new Error('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or their _DATA forms) go together: one is set without the other');
  }
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const { tls, apiKey, metadata } = loadClientConnectConfig({ overrideEnvVars: vars }).connectionOptions;
  return { ...(tls != null && { tls }), ...(apiKey !== undefined && { apiKey }), ...(metadata && { metadata: metadata as Record<string, string> }) }; // envconfig reads them from strings
}

/**
 * Connects a Temporal client (used by the API, scripts and tests), secured as the environment
 * says (temporalSecurity). Its interceptor carries the active trace into the workflows it
 * starts and signals.
 */
export async function connectClient({ address, namespace }: TemporalTarget, env: NodeJS.ProcessEnv = process.env): Promise<Client> {
  const connection = await Connection.connect({ address, ...temporalSecurity(env) });
  return new Client({ connection, namespace, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
}

/** Answers whether the Temporal frontend is serving. */
export async function pingTemporal(client: Client): Promise<void> {
  await client.workflowService.getSystemInfo({});
}
