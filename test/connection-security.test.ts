import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { temporalSecurity } from '../temporal/connection';

/**
 * How the platform's Temporal clients are secured, from the temporal CLI's own variables (the
 * cluster suite connects for real over mutual TLS; this pins the reading of each variable).
 */
describe('temporalSecurity (the CLI variables, read through @temporalio/envconfig)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conn-security-'));
  const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  const cert = file('client.pem', 'CERT');
  const key = file('client.key', 'KEY');
  const ca = file('ca.pem', 'CA');
  const noProfileFile = { TEMPORAL_CONFIG_FILE: join(dir, 'none.toml') };

  it('nothing set: plaintext (the dev server)', () => {
    expect(temporalSecurity({ ...noProfileFile })).toEqual({});
  });

  it('client certificate, key and CA by path: mutual TLS with those bytes and the server name', () => {
    const security = temporalSecurity({
      ...noProfileFile,
      TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: key,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca,
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
    });
    expect(security.tls).toMatchObject({ serverNameOverride: 'localhost' });
    const tls = security.tls as { clientCertPair: { crt: Uint8Array; key: Uint8Array }; serverRootCACertificate: Uint8Array };
    const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
    expect(text(tls.clientCertPair.crt)).toBe('CERT');
    expect(text(tls.clientCertPair.key)).toBe('KEY');
    expect(text(tls.serverRootCACertificate)).toBe('CA');
  });

  it('an API key: sent, and TLS on', () => {
    expect(temporalSecurity({ ...noProfileFile, TEMPORAL_API_KEY: 'secret-key' })).toEqual({ apiKey: 'secret-key', tls: true });
  });

  it('a certificate without its key (or the reverse) is refused, naming both variables', () => {
    expect(() => temporalSecurity({ ...noProfileFile, TEMPORAL_TLS_CLIENT_CERT_PATH: cert })).toThrow(/TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(() => temporalSecurity({ ...noProfileFile, TEMPORAL_TLS_CLIENT_KEY_PATH: key })).toThrow(/go together/);
  });
});
