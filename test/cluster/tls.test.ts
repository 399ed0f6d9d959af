import { Connection } from '@temporalio/client';
import { readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { connectClient, pingTemporal } from '../../temporal/connection';
import { temporalCli } from './support';

/** The cluster's frontend takes only clients that show a certificate of its CA (mutual TLS). */
describe('the frontend behind mutual TLS', () => {
  const { env } = inject('cluster');
  const address = env.TEMPORAL_ADDRESS!;
  const withoutClientCert = { ...process.env, TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' };

  it('serves a client with the client certificate, as the platform connects (the CLI variables)', async () => {
    const client = await connectClient({ address, namespace: 'default' });
    try {
      await expect(pingTemporal(client)).resolves.toBeUndefined();
    } finally {
      await client.connection.close();
    }
  });

  it('refuses a TLS client that trusts the CA but has no client certificate', async () => {
    const attempt = async () => {
      const connection = await Connection.connect({
        address,
        tls: { serverRootCACertificate: readFileSync(env.TEMPORAL_TLS_SERVER_CA_CERT_PATH!), serverNameOverride: 'localhost' },
        connectTimeout: 5000,
      });
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
    };
    // The TLS handshake fails: the SDK retries until its deadline, then gives up.
    await expect(attempt()).rejects.toThrow(/Failed to connect|certificate required|handshake/i);
  });

  it('refuses a plaintext client', async () => {
    const attempt = async () => {
      const connection = await Connection.connect({ address, connectTimeout: 5000 });
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
    };
    await expect(attempt()).rejects.toThrow();
  });

  it('serves the temporal CLI with the same variables, and refuses it without the client certificate', () => {
    const ok = temporalCli(['operator', 'cluster', 'health']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/SERVING/);
    const refused = temporalCli(['operator', 'cluster', 'health'], withoutClientCert);
    expect(refused.status).not.toBe(0);
    // The frontend ends the handshake ("certificate required", or a broken pipe when it hangs up first).
    expect(refused.stderr).toMatch(/failed reaching server/);
  });
});
