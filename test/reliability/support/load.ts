import { randomInt, randomUUID } from 'node:crypto';
import { DEVICE_KEY, uniquePlate } from '../../support/stack';
import { emptyScope, type Scope } from '../invariants';
import type { World } from './world';

/**
 * A mixed load of clients on a world's API: cars entering and leaving, shoppers ordering,
 * drivers reserving (and arriving on their reservation, or not). Every request carries a
 * request id, so each saga's id is known before it is asked for, and a client that gets no
 * answer (a dropped connection, a 503 while something is down) sends the SAME request again,
 * as a well-behaved gate or app would, until it has an answer.
 */

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Sends one request; throws when no answer came (connection refused or dropped). */
export type Http = (req: { method: 'GET' | 'POST' | 'PUT'; url: string; body?: unknown; headers: Record<string, string> }) => Promise<HttpAnswer>;

/** Through the world's in-process API. */
export function injectHttp(world: World): Http {
  return async ({ method, url, body, headers }) => {
    const res = await world.app.inject({ method, url, headers, ...(body !== undefined && { payload: body as object }) });
    return { status: res.statusCode, body: parseJson(res.body) };
  };
}

/** Over HTTP to an API process; `baseUrl` is read at every call (the process may be replaced). */
export function fetchHttp(baseUrl: () => string, timeoutMs = 30_000): Http {
  return async ({ method, url, body, headers }) => {
    const res = await fetch(`${baseUrl()}${url}`, {
      method,
      headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: parseJson(await res.text()) };
  };
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unparsable: text };
  }
}

export type SagaKind = 'entry' | 'exit' | 'order' | 'reservation';

/** One saga-starting request and what came of it. */
export interface SagaRequest {
  sagaId: string;
  kind: SagaKind;
  url: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  /** Every answer in order (retries included); errors are the failures with no answer. */
  answers: HttpAnswer[];
  errors: string[];
  /** When the client first sent it, and when it had its answer (ms since the epoch). */
  sentAt: number;
  answeredAt?: number;
}

export interface LoadOptions {
  lots?: number;
  lotCapacity?: number;
  products?: number;
  stockPerProduct?: number;
  users?: number;
  /** Reservations end this long after they are made, so that their sagas end within the test. */
  reservationSeconds?: number;
  /** How long a client keeps resending one request without an answer before it gives up. */
  retryForMs?: number;
  /** Operation weights. */
  mix?: Partial<Record<'entry' | 'exit' | 'order' | 'reservation' | 'arrival', number>>;
}

const DEFAULT_MIX = { entry: 30, exit: 20, order: 25, reservation: 15, arrival: 10 };

interface Car {
  plate: string;
  state: 'out' | 'in' | 'unknown';
  lotId?: string;
  /** A registered vehicle's owner (drivers who reserve). */
  ownerId?: string;
}

export class Load {
  readonly scope: Scope = emptyScope();
  readonly requests: SagaRequest[] = [];
  /** Answers that should never come: 500s (bugs), answers that are not JSON. */
  readonly badAnswers: Array<{ url: string; status: number; body: unknown }> = [];
  /** Requests that got no answer within retryForMs. */
  readonly abandoned: SagaRequest[] = [];
  private readonly lotIds: string[] = [];
  private readonly products: Array<{ id: string; price: number }> = [];
  private readonly users: Array<{ id: string; headers: Record<string, string>; plates: string[] }> = [];
  private readonly cars: Car[] = [];
  private readonly booked: Array<{ plate: string; lotId: string }> = [];
  private readonly options: Required<Omit<LoadOptions, 'mix'>> & { mix: typeof DEFAULT_MIX };
  private stopped = false;
  private seq = 0;
  readonly tag: string;

  constructor(
    private readonly world: World,
    private http: Http,
    options: LoadOptions = {},
  ) {
    this.options = {
      lots: 3,
      lotCapacity: 8,
      products: 4,
      stockPerProduct: 40,
      users: 4,
      reservationSeconds: 15,
      retryForMs: 120_000,
      ...options,
      mix: { ...DEFAULT_MIX, ...options.mix },
    };
    this.tag = `${world.options.name}-${randomUUID().slice(0, 6)}`;
  }

  /** Points the clients at another API (e.g. a restarted API process). */
  setHttp(http: Http): void {
    this.http = http;
  }

  /** Lots, products with stock, and users with registered vehicles, through the in-process API. */
  async setup(): Promise<void> {
    const o = this.options;
    for (let i = 0; i < o.lots; i++) {
      // Reservations are priced by the lot: the first lot is cheap (under the gateway's 300 for
      // reservations: declined, rolled back), the others are not. A booking here is one started hour.
      const tariffPerHour = i === 0 ? 250 : 300 + randomInt(600);
      const res = await this.world.inject({ method: 'POST', url: '/lots', payload: { name: `Lot ${this.tag}-${i}`, capacity: o.lotCapacity, tariffPerHour } });
      if (res.statusCode !== 201) throw new Error(`POST /lots: ${res.statusCode} ${res.body}`);
      const id = res.json().id as string;
      this.lotIds.push(id);
      this.scope.lotIds.add(id);
    }
    for (let i = 0; i < o.products; i++) {
      // The first one is dear: three of it are over the gateway's limit for orders (10000).
      const price = i === 0 ? 4000 + randomInt(1000) : 10 + randomInt(490);
      const res = await this.world.inject({ method: 'POST', url: '/products', payload: { sku: `REL-${this.tag}-${i}`, name: `Product ${i}`, price } });
      if (res.statusCode !== 201) throw new Error(`POST /products: ${res.statusCode} ${res.body}`);
      const id = res.json().id as string;
      const stock = await this.world.inject({ method: 'PUT', url: `/products/${id}/stock`, payload: { onHand: o.stockPerProduct } });
      if (stock.statusCode !== 200) throw new Error(`PUT stock: ${stock.statusCode} ${stock.body}`);
      this.products.push({ id, price });
      this.scope.stockPutIn.set(id, o.stockPerProduct);
    }
    for (let i = 0; i < o.users; i++) {
      const id = `rel-user-${this.tag}-${i}`;
      await this.world.ensureUser('user', id);
      const headers = { authorization: `Bearer ${this.world.token('user', id)}` };
      const plates: string[] = [];
      for (let j = 0; j < 2; j++) {
        const plate = uniquePlate();
        const res = await this.world.inject({ method: 'POST', url: '/vehicles', headers, payload: { plate, ownerName: `Sürücü ${i}-${j}` } });
        if (res.statusCode !== 201) throw new Error(`POST /vehicles: ${res.statusCode} ${res.body}`);
        plates.push(plate);
        this.cars.push({ plate, state: 'out', ownerId: id });
      }
      this.users.push({ id, headers, plates });
      this.scope.userIds.add(id);
    }
  }

  private pick<T>(items: T[]): T | undefined {
    return items.length ? items[randomInt(items.length)] : undefined;
  }

  private requestId(kind: string): string {
    return `${this.tag}-${kind}-${++this.seq}`;
  }

  /** Sends a saga-starting request until it is answered (a 201, 202 or 409), resending the same body. */
  async send(kind: SagaKind, url: string, sagaId: string, body: Record<string, unknown>, headers: Record<string, string>): Promise<HttpAnswer | undefined> {
    const request: SagaRequest = { sagaId, kind, url, body, headers, answers: [], errors: [], sentAt: Date.now() };
    this.requests.push(request);
    this.scope.sagaIds.add(sagaId);
    this.scope.answers.set(sagaId, request.answers); // the invariants hold them against how each saga ended
    const deadline = Date.now() + this.options.retryForMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.http({ method: 'POST', url, body, headers });
        request.answers.push(answer);
        if (answer.status >= 500 && answer.status !== 503) this.badAnswers.push({ url, status: answer.status, body: answer.body });
        if ('unparsable' in answer.body) this.badAnswers.push({ url, status: answer.status, body: answer.body });
        if (answer.status !== 503 && answer.status < 500) {
          // A saga-starting request is answered with its saga: done (201), refused or rolled back (409), still running (202).
          if (![201, 202, 409].includes(answer.status)) this.badAnswers.push({ url, status: answer.status, body: answer.body });
          if (answer.body.sagaId !== sagaId) {
            this.badAnswers.push({ url, status: answer.status, body: { expectedSagaId: sagaId, ...answer.body } });
          }
          request.answeredAt = Date.now();
          return answer;
        }
      } catch (err) {
        request.errors.push(String(err));
      }
      if (Date.now() > deadline) {
        this.abandoned.push(request);
        return undefined;
      }
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 2000)));
    }
  }

  // ---------- operations ----------

  async enter(car?: Car, lotId?: string): Promise<void> {
    const target = car ?? { plate: uniquePlate(), state: 'out' as const };
    if (!car) this.cars.push(target);
    const lot = lotId ?? this.pick(this.lotIds)!;
    target.state = 'unknown';
    const requestId = this.requestId('in');
    const answer = await this.send('entry', '/vehicle-entries', `entry-${requestId}`, { lotId: lot, plate: target.plate, requestId }, { 'x-device-key': DEVICE_KEY });
    if (answer?.status === 201) Object.assign(target, { state: 'in', lotId: lot });
    else if (answer?.status === 409 && answer.body.status === 'REJECTED') target.state = 'out';
  }

  async leave(): Promise<void> {
    const car = this.pick(this.cars.filter((c) => c.state === 'in'));
    if (!car) return this.enter();
    car.state = 'unknown';
    const requestId = this.requestId('out');
    const answer = await this.send('exit', '/vehicle-exits', `exit-${requestId}`, { lotId: car.lotId, plate: car.plate, requestId }, { 'x-device-key': DEVICE_KEY });
    if (answer?.status === 201) car.state = 'out';
  }

  async order(): Promise<void> {
    const user = this.pick(this.users)!;
    const lines = new Map<string, number>();
    for (let i = randomInt(1, 4); i > 0; i--) lines.set(this.pick(this.products.slice(1))!.id, 1 + randomInt(3));
    // Now and then one over the gateway's limit (10000): declined, rolled back.
    if (randomInt(10) === 0) lines.set(this.products[0]!.id, 3);
    const items = [...lines].map(([productId, quantity]) => ({ productId, quantity }));
    const requestId = this.requestId('order');
    await this.send('order', '/orders', `order-${user.id}-${requestId}`, { items, requestId }, user.headers);
  }

  async reserve(): Promise<void> {
    const user = this.pick(this.users)!;
    const plate = this.pick(user.plates)!;
    const car = this.cars.find((c) => c.plate === plate)!;
    if (car.state !== 'out') return this.order();
    const lotId = this.pick(this.lotIds)!;
    const now = Date.now();
    const requestId = this.requestId('resv');
    const body = {
      lotId,
      plate,
      startsAt: new Date(now - 60_000).toISOString(),
      endsAt: new Date(now + this.options.reservationSeconds * 1000).toISOString(),
      requestId,
    };
    const answer = await this.send('reservation', '/reservations', `reservation-${user.id}-${requestId}`, body, user.headers);
    if (answer?.status === 201) this.booked.push({ plate, lotId });
  }

  /** A driver arrives on a paid reservation (the entry saga takes the held space). */
  async arrive(): Promise<void> {
    const booking = this.booked.shift();
    if (!booking) return this.enter();
    const car = this.cars.find((c) => c.plate === booking.plate)!;
    if (car.state !== 'out') return;
    await this.enter(car, booking.lotId);
  }

  async step(): Promise<void> {
    const mix = this.options.mix;
    const total = Object.values(mix).reduce((a, b) => a + b, 0);
    let r = randomInt(total);
    for (const [op, weight] of Object.entries(mix) as Array<[keyof typeof DEFAULT_MIX, number]>) {
      if ((r -= weight) >= 0) continue;
      if (op === 'entry') return this.enter();
      if (op === 'exit') return this.leave();
      if (op === 'order') return this.order();
      if (op === 'reservation') return this.reserve();
      return this.arrive();
    }
  }

  /**
   * Runs `concurrency` clients until `durationMs` passes, `operations` are sent, or stop();
   * each client sends one request at a time.
   */
  async run({ concurrency = 4, durationMs, operations }: { concurrency?: number; durationMs?: number; operations?: number }): Promise<void> {
    const until = durationMs ? Date.now() + durationMs : Infinity;
    let left = operations ?? Infinity;
    this.stopped = false;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (!this.stopped && Date.now() < until && left-- > 0) await this.step();
      }),
    );
  }

  stop(): void {
    this.stopped = true;
  }

  /** Requests a client was waiting on at some point between `from` and `to`. */
  inFlightBetween(from: number, to: number): SagaRequest[] {
    return this.requests.filter((r) => r.sentAt <= to && (r.answeredAt ?? Infinity) >= from);
  }

  /** Counts of final answers by saga kind and status code, for the report. */
  summary(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.requests) {
      const last = r.answers.at(-1);
      const key = `${r.kind}:${last ? last.status : 'none'}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }
}
