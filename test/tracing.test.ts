import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOwnWorker, type OwnWorker } from './support/own-worker';
import { connectStack, createLot, uniquePlate, type TestStack } from './support/stack';

/**
 * One trace follows an HTTP request into the saga, its activities and their outgoing HTTP
 * calls. The API runs in this process with an in-memory exporter; the worker runs as its
 * own process and exports over OTLP/HTTP (JSON) to a small receiver here.
 */
interface ExportedSpan {
  traceId: string;
  name: string;
}

const apiSpans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(apiSpans)] });
const workerSpans: ExportedSpan[] = [];
let receiver: Server;
let worker: OwnWorker;
let stack: TestStack;

beforeAll(async () => {
  provider.register();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const payload = JSON.parse(body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: ExportedSpan[] }> }> };
      for (const rs of payload.resourceSpans) for (const ss of rs.scopeSpans) workerSpans.push(...ss.spans);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as { port: number };
  worker = await startOwnWorker('tracing', {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    WORKFLOW_BUNDLE_PATH: inject('stack').tracedWorkflowBundlePath,
  });
  stack = await connectStack({ taskQueue: worker.taskQueue });
});

afterAll(async () => {
  await stack?.close();
  await worker?.stop();
  receiver?.close();
  await provider.shutdown();
  trace.disable();
});

describe('tracing', () => {
  it('follows a vehicle entry from the HTTP request through the workflow and activities to the vendor call', async () => {
    const lot = await createLot(stack);
    const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate: uniquePlate() } });
    expect(res.statusCode).toBe(201);

    const server = apiSpans.getFinishedSpans().find((s) => s.name === 'POST /vehicle-entries');
    expect(server).toBeDefined();
    const traceId = server!.spanContext().traceId;
    expect(apiSpans.getFinishedSpans().some((s) => s.name === 'UpdateWithStartWorkflow:answer' && s.spanContext().traceId === traceId)).toBe(true);

    const expected = ['RunWorkflow:vehicleEntry', 'RunActivity:verifyPlate', 'RunActivity:allocateSpace', 'RunActivity:createEntryRecord', 'POST anpr'];
    let names: string[] = [];
    for (let i = 0; i < 100; i++) {
      names = workerSpans.filter((s) => s.traceId === traceId).map((s) => s.name);
      if (expected.every((n) => names.includes(n))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(names).toEqual(expect.arrayContaining(expected));
  });
});
