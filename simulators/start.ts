/**
 * Starts simulated vendors so dev, demos and tests run without real ones.
 *
 *   npx tsx simulators/start.ts
 *
 * By default: ANPR primary on 4101 and 4102, ANPR backup on 4103, payment primary
 * on 4201 and 4202, payment backup on 4203, all on 127.0.0.1. The ports follow the
 * URLs the platform itself calls (ANPR_URLS, ANPR_BACKUP_URLS, PAYMENT_URLS,
 * PAYMENT_BACKUP_URLS; see config/external-services.ts), so both sides agree.
 * Other settings:
 *   SIMULATOR_HOST (else HOST, else 127.0.0.1)   address to listen on
 *   SIM_ANPR_UNREADABLE=PLATE1,PLATE2           plates every ANPR instance answers 422 UNREADABLE
 *   SIM_PAYMENT_SHARED_LEDGER=true|false         whether all payment instances share one ledger (default true:
 *                                                a capture may land on another instance than its authorize)
 *   SIM_PAYMENT_RESERVATION_MIN, SIM_PAYMENT_ORDER_MAX   demo decline rules (300, 10000)
 * Stops cleanly on SIGINT and SIGTERM.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { serviceUrlsFromEnv, type ServiceUrlVariable } from '../config/external-services';
import { createLogger } from '../shared/logger';
import { buildAnprSimulator, type AnprSimulatorOptions } from './anpr';
import type { FaultControl } from './faults';
import { buildPaymentSimulator, createPaymentLedger, type PaymentSimulatorOptions } from './payment-gateway';

export type SimulatorKind = 'anpr' | 'payment';

export interface StartOptions {
  /** 0 picks a free port. */
  port: number;
  /** The instance's name: the ANPR `vendor`, the payment `gateway`. */
  name: string;
  host?: string;
}

export interface RunningSimulator {
  kind: SimulatorKind;
  name: string;
  /** http://host:port, with the port actually bound. */
  url: string;
  port: number;
  app: FastifyInstance;
  faults: FaultControl;
  close(): Promise<void>;
}

export function startSimulator(
  kind: 'anpr',
  options: StartOptions & Omit<AnprSimulatorOptions, 'name'>,
): Promise<RunningSimulator>;
export function startSimulator(
  kind: 'payment',
  options: StartOptions & Omit<PaymentSimulatorOptions, 'name'>,
): Promise<RunningSimulator>;
export async function startSimulator(
  kind: SimulatorKind,
  options: StartOptions & Omit<AnprSimulatorOptions, 'name'> & Omit<PaymentSimulatorOptions, 'name'>,
): Promise<RunningSimulator> {
  const { port, host = '127.0.0.1', ...rest } = options;
  const built = kind === 'anpr' ? buildAnprSimulator(rest) : buildPaymentSimulator(rest);
  await built.app.listen({ port, host });
  const address = built.app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    kind,
    name: options.name,
    url: `http://${urlHost}:${boundPort}`,
    port: boundPort,
    app: built.app,
    faults: built.faults,
    close: () => (closing ??= built.app.close().then(() => undefined)),
  };
}

interface PlannedInstance {
  kind: SimulatorKind;
  name: string;
  port: number;
}

function plan(env: NodeJS.ProcessEnv): PlannedInstance[] {
  const groups: Array<[SimulatorKind, string, ServiceUrlVariable]> = [
    ['anpr', 'anpr', 'ANPR_URLS'],
    ['anpr', 'anpr-backup', 'ANPR_BACKUP_URLS'],
    ['payment', 'payment', 'PAYMENT_URLS'],
    ['payment', 'payment-backup', 'PAYMENT_BACKUP_URLS'],
  ];
  return groups.flatMap(([kind, service, variable]) =>
    serviceUrlsFromEnv(variable, env).map((url, i) => {
      const parsed = new URL(url);
      const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
      return { kind, name: `${service}-${i + 1}`, port };
    }),
  );
}

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

function numberFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`Invalid configuration:\n  ${name}: must be a number >= 0`);
  return value;
}

/** Starts every planned instance; on a failure closes those already started and rethrows. */
export async function startFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<RunningSimulator[]> {
  const host = env.SIMULATOR_HOST?.trim() || env.HOST?.trim() || '127.0.0.1';
  const unreadablePlates = list(env.SIM_ANPR_UNREADABLE);
  const sharedLedger = (env.SIM_PAYMENT_SHARED_LEDGER ?? 'true').trim() !== 'false' ? createPaymentLedger() : undefined;
  const reservationMinAmount = numberFromEnv(env, 'SIM_PAYMENT_RESERVATION_MIN');
  const orderMaxAmount = numberFromEnv(env, 'SIM_PAYMENT_ORDER_MAX');
  const rules = {
    ...(reservationMinAmount !== undefined ? { reservationMinAmount } : {}),
    ...(orderMaxAmount !== undefined ? { orderMaxAmount } : {}),
  };

  const running: RunningSimulator[] = [];
  try {
    for (const instance of plan(env)) {
      running.push(
        instance.kind === 'anpr'
          ? await startSimulator('anpr', { port: instance.port, name: instance.name, host, unreadablePlates })
          : await startSimulator('payment', {
              port: instance.port,
              name: instance.name,
              host,
              rules,
              ...(sharedLedger ? { ledger: sharedLedger } : {}),
            }),
      );
    }
  } catch (err) {
    await Promise.allSettled(running.map((r) => r.close()));
    throw err;
  }
  return running;
}

async function main(): Promise<void> {
  const logger = createLogger('simulators');
  let running: RunningSimulator[];
  try {
    running = await startFromEnv();
  } catch (err) {
    logger.fatal({ err }, 'simulators could not start');
    process.exit(1);
  }
  for (const sim of running) {
    logger.info({ event: 'simulator.listening', kind: sim.kind, instance: sim.name, url: sim.url }, `${sim.name} (${sim.kind}) on ${sim.url}`);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'simulator.stopping', signal }, 'stopping simulators');
    void Promise.allSettled(running.map((sim) => sim.close())).then(() => {
      logger.info({ event: 'simulator.stopped' }, 'simulators stopped');
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(resolve(entry)).href) {
  void main();
}
