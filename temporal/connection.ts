import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/**
 * Connects a Temporal client (used by the API, scripts and tests). Its interceptor carries
 * the active trace into the workflows it starts and signals.
 */
export async function connectClient({ address, namespace }: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
}

/** Answers whether the Temporal frontend is serving. */
export async function pingTemporal(client: Client): Promise<void> {
  await client.workflowService.getSystemInfo({});
}
