import { writeFile } from 'node:fs/promises';
import { defaultExternalServicesConfig, type BreakerConfig, type ExternalServicesConfig } from '../../config/external-services';
import { startSimulator, type RunningSimulator } from '../../simulators/start';
import { createPaymentLedger } from '../../simulators/payment-gateway';

export interface VendorSet {
  /** Instance name → simulator: anpr-1, anpr-2, anpr-backup-1, payment-1, payment-2, payment-backup-1. */
  byName: Record<string, RunningSimulator>;
  env: Record<'ANPR_URLS' | 'ANPR_BACKUP_URLS' | 'PAYMENT_URLS' | 'PAYMENT_BACKUP_URLS', string>;
  close(): Promise<void>;
}

/** Starts the simulated vendors the way `make start` lays them out, on free ports. */
export async function startVendorSet(options: { unreadablePlates?: string[] } = {}): Promise<VendorSet> {
  const ledger = createPaymentLedger();
  const names = ['anpr-1', 'anpr-2', 'anpr-backup-1', 'payment-1', 'payment-2', 'payment-backup-1'];
  const running = await Promise.all(
    names.map((name) =>
      name.startsWith('anpr')
        ? startSimulator('anpr', { port: 0, name, unreadablePlates: options.unreadablePlates ?? [] })
        : startSimulator('payment', { port: 0, name, ledger }),
    ),
  );
  const byName = Object.fromEntries(names.map((n, i) => [n, running[i]!]));
  const urls = (...ns: string[]) => ns.map((n) => byName[n]!.url).join(',');
  return {
    byName,
    env: {
      ANPR_URLS: urls('anpr-1', 'anpr-2'),
      ANPR_BACKUP_URLS: urls('anpr-backup-1'),
      PAYMENT_URLS: urls('payment-1', 'payment-2'),
      PAYMENT_BACKUP_URLS: urls('payment-backup-1'),
    },
    close: async () => {
      await Promise.allSettled(running.map((r) => r.close()));
    },
  };
}

/** The breaker of every test vendor: a short window, so that a few calls decide its state. */
export const TEST_BREAKER: BreakerConfig = {
  slidingWindowSize: 10,
  minimumNumberOfCalls: 4,
  failureRateThreshold: 50,
  waitDurationInOpenState: 4000,
  permittedNumberOfCallsInHalfOpenState: 1,
};

/**
 * The vendors' config for tests: the default topology with short health-check and
 * breaker windows, so that instances leave and rejoin rotation within a test.
 */
export function testExternalServicesConfig(env: VendorSet['env']): ExternalServicesConfig {
  const config = defaultExternalServicesConfig({ ...process.env, ...env });
  for (const service of Object.values(config.services)) {
    service.timeoutMs = 1000;
    service.healthCheck = { ...service.healthCheck, intervalMs: 100, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 2 };
    service.breaker = { ...TEST_BREAKER };
  }
  return config;
}

/** Adjusts the test config of a worker before it is written (e.g. a longer breaker wait). */
export type ConfigureServices = (config: ExternalServicesConfig) => void;

/** Writes a config file for a worker process and returns its path. */
export async function writeExternalServicesFile(path: string, env: VendorSet['env'], configure?: ConfigureServices): Promise<string> {
  const config = testExternalServicesConfig(env);
  configure?.(config);
  await writeFile(path, JSON.stringify(config, null, 1));
  return path;
}
