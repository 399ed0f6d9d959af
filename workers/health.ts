import { createServer, type Server } from 'node:http';
import type { Worker } from '@temporalio/worker';

/**
 * The worker's own health endpoint, for an orchestrator's probes:
 *   GET /health/live   200 while the process answers
 *   GET /health/ready  200 once the worker runs and both its pollers poll the task queue
 *                      (503 before, and while it shuts down), with the worker's state
 */
export function workerReadiness(worker: Pick<Worker, 'getStatus'>) {
  const status = worker.getStatus();
  const ready = status.runState === 'RUNNING' && status.workflowPollerState === 'POLLING' && status.activityPollerState === 'POLLING';
  return {
    ready,
    body: {
      status: ready ? ('UP' as const) : ('DOWN' as const),
      runState: status.runState,
      workflowPoller: status.workflowPollerState,
      activityPoller: status.activityPollerState,
    },
  };
}

export async function startHealthServer(worker: Pick<Worker, 'getStatus'>, { host, port }: { host: string; port: number }): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET') return send(405, { error: 'Method Not Allowed' });
    if (path === '/health/live') return send(200, { status: 'UP' });
    if (path === '/health/ready') {
      const { ready, body } = workerReadiness(worker);
      return send(ready ? 200 : 503, body);
    }
    return send(404, { error: 'Not Found' });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}
