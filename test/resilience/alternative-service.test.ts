import { describe, expect, it, vi } from 'vitest';
import { AlternativeService, type FallbackEvent } from '../../resilience/alternative-service';
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

describe('AlternativeService', () => {
  it('answers from the primary when it works, without touching the alternatives', async () => {
    const alt = vi.fn(async () => 'alt');
    const result = await new AlternativeService().execute([
      { via: 'primary', call: async () => 'p' },
      { via: 'alternative:b', call: alt },
    ]);
    expect(result).toEqual({ value: 'p', via: 'primary' });
    expect(alt).not.toHaveBeenCalled();
  });

  it('moves on after outages (including an open circuit), in order, telling each switch', async () => {
    const events: FallbackEvent[] = [];
    const result = await new AlternativeService({ onFallback: (e) => events.push(e) }).execute([
      { via: 'primary', call: () => Promise.reject(new BrokenCircuitError('a', 100)) },
      { via: 'alternative:b', call: () => Promise.reject(new ExternalServiceError('b', 'timeout', 'slow')) },
      { via: 'alternative:c', call: async () => 'c' },
    ]);
    expect(result).toEqual({ value: 'c', via: 'alternative:c' });
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(['primary->alternative:b', 'alternative:b->alternative:c']);
  });

  it('lets business errors through untouched without trying alternatives', async () => {
    const rejection = new ExternalServiceRejection('a', 422, { error: 'UNREADABLE' });
    const alt = vi.fn(async () => 'alt');
    await expect(
      new AlternativeService().execute([
        { via: 'primary', call: () => Promise.reject(rejection) },
        { via: 'alternative:b', call: alt },
      ]),
    ).rejects.toBe(rejection);
    expect(alt).not.toHaveBeenCalled();

    const domain = new BusinessRejection('LOT_FULL');
    await expect(
      new AlternativeService().execute([
        { via: 'primary', call: () => Promise.reject(domain) },
        { via: 'alternative:b', call: alt },
      ]),
    ).rejects.toBe(domain);
    expect(alt).not.toHaveBeenCalled();
  });

  it('takes a custom business-error predicate', async () => {
    const alt = vi.fn(async () => 'alt');
    const service = new AlternativeService({ isBusinessError: (e) => (e as Error).message === 'no' });
    await expect(
      service.execute([
        { via: 'primary', call: () => Promise.reject(new Error('no')) },
        { via: 'alternative:b', call: alt },
      ]),
    ).rejects.toThrow('no');
    expect(alt).not.toHaveBeenCalled();
  });

  it('reports every failure when all paths are out, with the shortest retry-after when all circuits are open', async () => {
    const err = await new AlternativeService()
      .execute([
        { via: 'primary', call: () => Promise.reject(new BrokenCircuitError('a', 5000)) },
        { via: 'alternative:b', call: () => Promise.reject(new BrokenCircuitError('b', 2000)) },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllAlternativesFailedError);
    expect((err as AllAlternativesFailedError).failures.map((f) => f.via)).toEqual(['primary', 'alternative:b']);
    expect(retryAfterMsOf(err)).toBe(2000);

    const mixed = await new AlternativeService()
      .execute([
        { via: 'primary', call: () => Promise.reject(new BrokenCircuitError('a', 5000)) },
        { via: 'alternative:b', call: () => Promise.reject(new Error('reset')) },
      ])
      .catch((e: unknown) => e);
    expect(retryAfterMsOf(mixed)).toBeUndefined();
  });

  it('rethrows the error as is with a single path', async () => {
    const original = new ExternalServiceError('a', 'network', 'refused');
    await expect(new AlternativeService().execute([{ via: 'primary', call: () => Promise.reject(original) }])).rejects.toBe(original);
  });
});
