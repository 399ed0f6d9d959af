import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';

export interface Tracing {
  resource: Resource;
  /** Where finished spans go: the OTLP exporter, or nowhere when tracing is off. */
  spanProcessor: SpanProcessor;
  enabled: boolean;
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry tracing for one process, off unless an OTLP endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://collector:4318). When on, the process's
 * tracer provider is registered globally, so that HTTP, Temporal client, workflow,
 * activity and outgoing-call spans share one trace.
 *
 * @example
 * const tracing = setUpTracing('saga-worker', settings.OTEL_EXPORTER_OTLP_ENDPOINT);
 */
export function setUpTracing(serviceName: string, otlpEndpoint: string | undefined, exporter?: SpanExporter): Tracing {
  const resource = new Resource({ 'service.name': serviceName });
  const spanExporter = exporter ?? (otlpEndpoint ? new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }) : undefined);
  if (!spanExporter) {
    return { resource, spanProcessor: new NoopSpanProcessor(), enabled: false, shutdown: async () => undefined };
  }
  const spanProcessor = new BatchSpanProcessor(spanExporter, { scheduledDelayMillis: 500 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { resource, spanProcessor, enabled: true, shutdown: () => provider.shutdown() };
}
