import type { Client } from '@temporalio/client';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { inject } from 'vitest';
import { buildApp } from '../../../api/app';
import type { Role } from '../../../api/plugins/auth';
import { createDb, type Db } from '../../../db/client';
import { createDomains, type Domains } from '../../../domains';
import { startDevServer } from '../../../scripts/temporal-dev-server';
import { createPaymentLedger, type PaymentLedger } from '../../../simulators/payment-gateway';
import { startSimulator, type RunningSimulator } from '../../../simulators/start';
import { connectClient } from '../../../temporal/connection';
import { createSagaClient, type SagaClient } from '../../../temporal/saga-client';
import { createTestDatabase } from '../../postgres/test-database';
import { workerEnv } from '../../support/global-setup';
import { freePort, spawnTs, startWorkerProcess, stopProcess, waitUntil } from '../../support/processes';
import { testRateLimits, testAuth } from '../../support/stack';
import { testExternalServicesConfig } from '../../support/vendors';

/**
 * A world of a reliability scenario's own, so that breaking it disturbs no other test file:
 * its own simulated vendors (whose payment ledger the invariants read), its own worker
 * process(es) on its own task queue, by default its own database (a migrated SQLite file in
 * the world's folder, or a fresh PostgreSQL database on TEST_DATABASE_URL runs), and on
 * request its own Temporal dev server (on a persisted file in the folder) and an API process.
 * An in-process API (app.inject, admin by default) is always there for setup and reads.
 */
export interface WorldOptions {
  /** Unique among the suite's worlds: names the folder, the task queue, the logs. */
  name: string;
  /** Own Temporal dev server (default: the suite's shared one). */
  ownTemporal?: boolean;
  /** Own database (default true); false: the suite's shared database (faults must then use `match`). */
  ownDatabase?: boolean;
  /** Extra environment of the worker and API processes. */
  env?: NodeJS.ProcessEnv;
  /** How long the in-process API waits for a saga's answer (default 10 s). */
  sagaWaitMs?: number;
}

export const VENDOR_NAMES = ['anpr-1', 'anpr-2', 'anpr-backup-1', 'payment-1', 'payment-2', 'payment-backup-1'] as const;
export type VendorName = (typeof VENDOR_NAMES)[number];

export interface Vendors {
  byName: Record<VendorName, RunningSimulator>;
  /** The payment gateway's books, shared by its three instances (as one real gateway's). */
  ledger: PaymentLedger;
  env: Record<'ANPR_URLS' | 'ANPR_BACKUP_URLS' | 'PAYMENT_URLS' | 'PAYMENT_BACKUP_URLS', string>;
}

export interface ApiProcess {
  url: string;
  process: ChildProcess;
  log: string;
}

export class World {
  readonly dir: string;
  readonly taskQueue: string;
  readonly databaseUrl: string;
  readonly temporalAddress: string;
  db!: Db;
  domains!: Domains;
  temporal!: Client;
  sagas!: SagaClient;
  app!: Awaited<ReturnType<typeof buildApp>>;
  vendors!: Vendors;
  worker: ChildProcess | undefined;
  api: ApiProcess | undefined;
  temporalServer: ChildProcess | undefined;
  private readonly externalServicesFile: string;
  private readonly temporalPort: number | undefined;
  private readonly temporalDbFile: string;
  private workerCount = 0;
  private apiCount = 0;
  private readonly extraWorkers: ChildProcess[] = [];
  private dropDatabase: (() => Promise<void>) | undefined;
  private adminToken = '';

  private constructor(
    readonly options: WorldOptions,
    paths: { dir: string; databaseUrl: string; temporalAddress: string; temporalPort: number | undefined },
  ) {
    this.dir = paths.dir;
    this.databaseUrl = paths.databaseUrl;
    this.temporalAddress = paths.temporalAddress;
    this.temporalPort = paths.temporalPort;
    this.taskQueue = `sagas-rel-${options.name}`;
    this.externalServicesFile = join(this.dir, 'external-services.json');
    this.temporalDbFile = join(this.dir, 'temporal.db');
  }

  static async start(options: WorldOptions): Promise<World> {
    const stack = inject('stack');
    const dir = join(stack.dir, `reliability-${options.name}`);
    await mkdir(dir, { recursive: true });
    let databaseUrl = stack.databaseUrl;
    let drop: (() => Promise<void>) | undefined;
    if (options.ownDatabase !== false) {
      if (process.env.TEST_DATABASE_URL) {
        const created = await createTestDatabase(process.env.TEST_DATABASE_URL, `saga_rel_${options.name.replace(/[^a-z0-9]/g, '_')}_${process.pid}`);
        databaseUrl = created.url;
        drop = created.drop;
      } else {
        databaseUrl = `file:${join(dir, 'platform.db')}`;
      }
      execFileSync('npx', ['prisma', 'migrate', 'deploy'], { env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: 'pipe' });
    }
    const temporalPort = options.ownTemporal ? await freePort() : undefined;
    const world = new World(options, {
      dir,
      databaseUrl,
      temporalAddress: temporalPort ? `127.0.0.1:${temporalPort}` : stack.temporalAddress,
      temporalPort,
    });
    world.dropDatabase = drop;
    try {
      if (options.ownTemporal) await world.startTemporal();
      await world.startVendors();
      world.db = await createDb(databaseUrl);
      world.domains = createDomains(world.db, { faultsEnabled: true });
      world.temporal = await connectClient({ address: world.temporalAddress, namespace: 'default' });
      world.sagas = createSagaClient(world.temporal, { taskQueue: world.taskQueue, waitMs: options.sagaWaitMs ?? 10_000 });
      const logger = pino({ level: 'warn' }, pino.destination({ dest: join(dir, 'api-inprocess.log'), sync: true }));
      world.app = await buildApp(
        { db: world.db, domains: world.domains, temporal: world.temporal, sagas: world.sagas, faultsEnabled: true, auth: testAuth(world.domains), rateLimits: testRateLimits({ loginPerAddress: 1000, loginPerAccount: 1000 }) },
        { loggerInstance: logger },
      );
      await world.ensureUser('admin', `rel-admin-${options.name}`);
      world.adminToken = world.token('admin', `rel-admin-${options.name}`);
      await world.startWorker();
    } catch (err) {
      await world.close();
      throw err;
    }
    return world;
  }

  /**
   * Makes sure user `sub` exists with `role`: an API process (as in production) refuses tokens
   * of users it does not know (token versions). Nobody logs in as them (no usable password).
   */
  async ensureUser(role: Role, sub: string, email = `${sub}@reliability.example`): Promise<void> {
    await this.db.user.upsert({ where: { id: sub }, create: { id: sub, email, role, passwordHash: 'none' }, update: {} });
  }

  /** Signs a token for a role (and user id), valid for the in-process API and API processes alike (ensureUser first for those). */
  token(role: Role, sub = `rel-${role}`, email = `${sub}@reliability.example`): string {
    return this.app.jwt.sign({ sub, email, role });
  }

  /** The in-process API, acting as an admin unless the request says who it is. */
  inject(opts: { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; payload?: unknown; headers?: Record<string, string> }) {
    const headers = { ...(opts.headers ?? {}) };
    if (!('authorization' in headers) && !('x-device-key' in headers)) headers.authorization = `Bearer ${this.adminToken}`;
    return this.app.inject({ method: opts.method, url: opts.url, headers, ...(opts.payload !== undefined && { payload: opts.payload as object }) });
  }

  /** The environment of this world's worker and API processes. */
  processEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...workerEnv(inject('stack')),
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporalAddress,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      EXTERNAL_SERVICES_FILE: this.externalServicesFile,
      // The load is many requests a minute from a few users on one address: not what these tests are about.
      SAGA_START_RATE_LIMIT: '1000000',
      REGISTER_RATE_LIMIT: '1000000',
      LOGIN_RATE_LIMIT: '1000000',
      LOGIN_ACCOUNT_RATE_LIMIT: '1000000',
      ...this.options.env,
      ...extra,
    };
  }

  // ---------- vendors ----------

  private async startVendors(): Promise<void> {
    const ledger = createPaymentLedger();
    const running = await Promise.all(
      VENDOR_NAMES.map((name) =>
        name.startsWith('anpr') ? startSimulator('anpr', { port: 0, name }) : startSimulator('payment', { port: 0, name, ledger }),
      ),
    );
    const byName = Object.fromEntries(VENDOR_NAMES.map((n, i) => [n, running[i]!])) as Vendors['byName'];
    const urls = (...names: VendorName[]) => names.map((n) => byName[n].url).join(',');
    const env = {
      ANPR_URLS: urls('anpr-1', 'anpr-2'),
      ANPR_BACKUP_URLS: urls('anpr-backup-1'),
      PAYMENT_URLS: urls('payment-1', 'payment-2'),
      PAYMENT_BACKUP_URLS: urls('payment-backup-1'),
    };
    this.vendors = { byName, ledger, env };
    await writeFile(this.externalServicesFile, JSON.stringify(testExternalServicesConfig(env), null, 1));
  }

  /** Sets a simulated vendor instance's faults (merged into its current ones). */
  setVendorFaults(name: VendorName, faults: { down?: boolean; failRate?: number; latencyMs?: number; loseAnswerRate?: number }): void {
    this.vendors.byName[name].faults.set(faults);
  }

  /** Every vendor instance back to normal. */
  healVendors(): void {
    for (const name of VENDOR_NAMES) this.vendors.byName[name].faults.set({ down: false, failRate: 0, latencyMs: 0, loseAnswerRate: 0 });
  }

  /** A payment simulator's URL: its GET /admin/ledger shows the gateway's own books (the instances share them). */
  get gatewayUrl(): string {
    return this.vendors.byName['payment-1'].url;
  }

  // ---------- worker ----------

  /**
   * Starts a worker process on this world's task queue and waits until it polls. A kill
   * switch may end it (FAULT_SWITCHES_MAY_KILL): never the test's own process or an API.
   */
  async startWorker(extraEnv: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
    const log = join(this.dir, `worker-${++this.workerCount}.log`);
    const child = await startWorkerProcess(this.processEnv({ FAULT_SWITCHES_MAY_KILL: 'true', ...extraEnv }), log, `the ${this.options.name} worker`);
    if (this.worker && this.worker.exitCode === null && this.worker.signalCode === null) this.extraWorkers.push(this.worker);
    this.worker = child;
    return child;
  }

  /** The id under which the current worker publishes its resilience snapshot. */
  get workerId(): string {
    return `${hostname()}:${this.worker?.pid}`;
  }

  get workerAlive(): boolean {
    return this.worker !== undefined && this.worker.exitCode === null && this.worker.signalCode === null;
  }

  /** Waits until the current worker has died (e.g. by a kill switch), for at most `timeoutMs`; false when it still runs. */
  async waitForWorkerDeath(timeoutMs: number): Promise<boolean> {
    return waitUntil('the worker to die', () => !this.workerAlive, timeoutMs).then(
      () => true,
      () => false,
    );
  }

  /** Starts a new worker when the current one has died. */
  async ensureWorker(): Promise<void> {
    if (!this.workerAlive) await this.startWorker();
  }

  /** Where kill switches ended worker processes, from their logs: the point and the call's subjects. */
  faultKills(): Array<{ point: string; subjects: string[] }> {
    return this.workerLogEvents()
      .filter((e) => e.event === 'fault_switch.kill')
      .map((e) => ({ point: String(e.point), subjects: e.subjects as string[] }));
  }

  /** Kills the current worker (SIGKILL by default: no goodbye, activities in flight are lost). */
  async killWorker(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await stopProcess(this.worker, signal);
  }

  /** Every worker log line so far, parsed (JSON lines; other lines are skipped). */
  workerLogEvents(): Array<Record<string, unknown>> {
    const events: Array<Record<string, unknown>> = [];
    for (let i = 1; i <= this.workerCount; i++) {
      const file = join(this.dir, `worker-${i}.log`);
      if (!existsSync(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          events.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // a line cut short by a SIGKILL
        }
      }
    }
    return events;
  }

  // ---------- Temporal ----------

  /** Starts (or restarts, on the same persisted file and port) this world's own Temporal dev server. */
  async startTemporal(): Promise<void> {
    if (!this.temporalPort) throw new Error('this world runs on the shared Temporal server');
    this.temporalServer = await startDevServer({ port: this.temporalPort, dbFile: this.temporalDbFile });
  }

  async killTemporal(): Promise<void> {
    await stopProcess(this.temporalServer, 'SIGKILL');
  }

  // ---------- API process ----------

  /** Runs api/server.ts as a process of its own (as in production) on a free port. */
  async startApi(extraEnv: NodeJS.ProcessEnv = {}): Promise<ApiProcess> {
    const port = await freePort();
    const log = join(this.dir, `api-${++this.apiCount}.log`);
    const child = spawnTs('api/server.ts', this.processEnv({ PORT: String(port), ...extraEnv }), log);
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(
      'the API process to listen',
      async () => {
        if (child.exitCode !== null) throw new Error(`the API process exited with ${child.exitCode}: see ${log}`);
        return (await fetch(`${url}/health`).catch(() => undefined))?.ok === true;
      },
      60_000,
    );
    this.api = { url, process: child, log };
    return this.api;
  }

  async killApi(): Promise<void> {
    await stopProcess(this.api?.process, 'SIGKILL');
  }

  // ---------- database ----------

  /**
   * Makes the database unavailable for writers: a separate connection takes SQLite's write
   * lock (BEGIN EXCLUSIVE) and keeps it until `release()`. Resolves once a probe writer on
   * yet another connection has been refused, so the lock is known to bite.
   */
  async lockDatabase(): Promise<{ release(): Promise<void> }> {
    if (!this.databaseUrl.startsWith('file:')) throw new Error('lockDatabase needs SQLite');
    if (this.options.ownDatabase === false) throw new Error('lockDatabase would block every other test file: use a world with its own database');
    const holder = await createDb(this.databaseUrl);
    await holder.$executeRawUnsafe('BEGIN EXCLUSIVE');
    const probe = await createDb(this.databaseUrl);
    try {
      await probe.$executeRawUnsafe('PRAGMA busy_timeout = 100');
      let refused: unknown;
      try {
        await probe.$executeRawUnsafe(`UPDATE "FaultSwitch" SET "message" = "message" WHERE 1 = 0`);
        await probe.$executeRawUnsafe(`INSERT INTO "CachedResponse" ("key", "value", "storedAt") VALUES ('lock-probe', '', 0)`);
        await probe.$executeRawUnsafe(`DELETE FROM "CachedResponse" WHERE "key" = 'lock-probe'`);
      } catch (err) {
        refused = err;
      }
      if (!refused || !/locked|busy/i.test(String((refused as Error).message ?? refused))) {
        throw new Error(`the exclusive lock did not stop a writer: ${String(refused)}`);
      }
    } finally {
      await probe.$disconnect();
    }
    return {
      async release() {
        await holder.$executeRawUnsafe('COMMIT');
        await holder.$disconnect();
      },
    };
  }

  // ---------- teardown ----------

  async close(): Promise<void> {
    await this.app?.close().catch(() => undefined);
    await stopProcess(this.api?.process, 'SIGKILL');
    for (const w of [this.worker, ...this.extraWorkers]) await stopProcess(w, 'SIGTERM', 5000);
    await this.temporal?.connection.close().catch(() => undefined);
    await stopProcess(this.temporalServer, 'SIGTERM', 5000);
    if (this.vendors) await Promise.allSettled(Object.values(this.vendors.byName).map((v) => v.close()));
    await this.db?.$disconnect().catch(() => undefined);
    if (process.env.KEEP_TEST_DIR !== '1') await this.dropDatabase?.().catch(() => undefined);
  }
}
