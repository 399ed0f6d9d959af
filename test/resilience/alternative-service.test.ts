import { describe, expect, it, vi } from 'vitest';
import { AlternativeService, type FallbackEvent, type PathContext } from '../../resilience/alternative-service';
import { wrap, type Policy } from '../../resilience/policy';
import {
  AllAlternativesFailedError,
  BrokenCircuitError,
  ExternalServiceError,
  ExternalServiceRejection,
  isBusinessError,
  retryAfterMsOf,
} from '../../resilience/errors';

class BusinessRejection extends Error {
  override readonly name = 'BusinessRejection';
  constructor(readonly code: string) {
    super(code);
  }
}

describe('isBusinessError', () => {
  it('knows business rejections and vendor 4xx from outages', () => {
    expect(isBusinessError(new BusinessRejection('INVALID_PLATE'))).toBe(true);
    expect(isBusinessError(new ExternalServiceRejection('anpr', 422, {}))).toBe(true);
    expect(isBusinessError(new ExternalServiceError('anpr', 'status', '503', { status: 503 }))).toBe(false);
    expect(isBusinessError(new BrokenCircuitError('anpr', 10))).toBe(false);
    expect(isBusinessError(Object.assign(new Error('x'), { name: 'BusinessRejection' }))).toBe(false); // no code
    expect(isBusinessError('nope')).toBe(false);
  });
});

/** A path whose answer is `call`'s (standing in for a service's chain); it also records the context it saw. */
function path(via: string, call: () => Promise<string>, seen: PathContext[] = []) {
  const policy: Policy<PathContext> = { execute: async (fn, context = {}) => (seen.push(context), fn(context)) };
  return { via, policy: wrap(policy, { execute: () => call() as never }) };
}
const run = (service: AlternativeService) => service.execute(async () => 'never called');

describe('AlternativeService', () => {
  it('answers from the primary when it works, without touching the alternatives', async () => {
    const alt = vi.fn(async () => 'alt');
    const seen: PathContext[] = [];
    const result = await run(new AlternativeService([path('primary', async () => 'p', seen), path('alternative:b', alt)]));
    expect(result).toBe('p');
    expect(seen).toEqual([{ path: 'primary' }]);
    expect(alt).not.toHaveBeenCalled();
  });

  it('moves on after outages (including an open circuit), in order, telling each switch and naming each path', async () => {
    const events: FallbackEvent[] = [];
    const seen: PathContext[] = [];
    const result = await run(
      new AlternativeService(
        [
          path('primary', () => Promise.reject(new BrokenCircuitError('a', 100)), seen),
          path('alternative:b', () => Promise.reject(new ExternalServiceError('b', 'timeout', 'slow')), seen),
          path('alternative:c', async () => 'c', seen),
        ],
        { onFallback: (e) => events.push(e) },
      ),
    );
    expect(result).toBe('c');
    expect(seen.map((c) => c.path)).toEqual(['primary', 'alternative:b', 'alternative:c']);
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(['primary->alternative:b', 'alternative:b->alternative:c']);
  });

  it('tries only the primary when the call says alternatives: false', async () => {
    const alt = vi.fn(async () => 'alt');
    const outage = new ExternalServiceError('a', 'status', '503', { status: 503 });
    const service = new AlternativeService([path('primary', () => Promise.reject(outage)), path('alternative:b', alt)]);
    await expect(service.execute(async () => 'x', { alternatives: false })).rejects.toBe(outage);
    expect(alt).not.toHaveBeenCalled();
  });

  it('lets business errors and the caller\'s cancellation through untouched without trying alternatives', async () => {
    const rejection = new ExternalServiceRejection('a', 422, { error: 'UNREADABLE' });
    const alt = vi.fn(async () => 'alt');
    await expect(run(new AlternativeService([path('primary', () => Promise.reject(rejection)), path('alternative:b', alt)]))).rejects.toBe(rejection);
    expect(alt).not.toHaveBeenCalled();

    const domain = new BusinessRejection('LOT_FULL');
    await expect(run(new AlternativeService([path('primary', () => Promise.reject(domain)), path('alternative:b', alt)]))).rejects.toBe(domain);
    expect(alt).not.toHaveBeenCalled();

    const cancelled = new ExternalServiceError('a', 'cancelled', 'cancelled by the caller');
    await expect(run(new AlternativeService([path('primary', () => Promise.reject(cancelled)), path('alternative:b', alt)]))).rejects.toBe(cancelled);
    expect(alt).not.toHaveBeenCalled();
  });

  it('takes a custom business-error predicate', async () => {
    const alt = vi.fn(async () => 'alt');
    const service = new AlternativeService([path('primary', () => Promise.reject(new Error('no'))), path('alternative:b', alt)], {
      isBusinessError: (e) => (e as Error).message === 'no',
    });
    await expect(run(service)).rejects.toThrow('no');
    expect(alt).not.toHaveBeenCalled();
  });

  it('reports every failure when all paths are out, with the shortest retry-after when all circuits are open', async () => {
    const err = await run(
      new AlternativeService([
        path('primary', () => Promise.reject(new BrokenCircuitError('a', 5000))),
        path('alternative:b', () => Promise.reject(new BrokenCircuitError('b', 2000))),
      ]),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllAlternativesFailedError);
    expect((err as AllAlternativesFailedError).failures.map((f) => f.via)).toEqual(['primary', 'alternative:b']);
    expect(retryAfterMsOf(err)).toBe(2000);

    const mixed = await run(
      new AlternativeService([
        path('primary', () => Promise.reject(new BrokenCircuitError('a', 5000))),
        path('alternative:b', () => Promise.reject(new Error('reset'))),
      ]),
    ).catch((e: unknown) => e);
    expect(retryAfterMsOf(mixed)).toBeUndefined();
  });

  it('rethrows the error as is with a single path', async () => {
    const original = new ExternalServiceError('a', 'network', 'refused');
    await expect(run(new AlternativeService([path('primary', () => Promise.reject(original))]))).rejects.toBe(original);
  });
});

describe('wrap', () => {
  it('chains policies outermost first, each handing the next the context it made', async () => {
    const order: string[] = [];
    const tag = (name: string): Policy<PathContext & { tags?: string[] }> => ({
      execute: async (fn, context = {}) => {
        order.push(`${name} in`);
        try {
          return await fn({ ...context, tags: [...(context.tags ?? []), name] });
        } finally {
          order.push(`${name} out`);
        }
      },
    });
    const result = await wrap(tag('a'), tag('b'), tag('c')).execute(async (context) => context.tags!.join(','));
    expect(result).toBe('a,b,c');
    expect(order).toEqual(['a in', 'b in', 'c in', 'c out', 'b out', 'a out']);
  });
});
