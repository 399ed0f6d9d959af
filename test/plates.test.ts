import { describe, expect, it } from 'vitest';
import { isValidPlate, normalizePlate } from '../domains/plates';

describe('Turkish plate rules', () => {
  it('normalises to upper case without spaces', () => {
    expect(normalizePlate('34 abc 123')).toBe('34ABC123');
    expect(normalizePlate(' 06\tA  1234 ')).toBe('06A1234');
  });

  it.each(['01A12', '34ABC123', '06A1234', '81ZZ99', '35AB1234'])('accepts %s', (plate) => {
    expect(isValidPlate(plate)).toBe(true);
  });

  it.each([
    ['00A12', 'province 00'],
    ['82A12', 'province above 81'],
    ['3ABC123', 'one-digit province'],
    ['34ABCD12', 'four letters'],
    ['34A1', 'one digit'],
    ['34A12345', 'five digits'],
    ['34123', 'no letters'],
    ['34abc123', 'not normalised'],
    ['34ÇAB12', 'a letter outside A–Z'],
    ['', 'empty'],
  ])('rejects %s (%s)', (plate) => {
    expect(isValidPlate(plate)).toBe(false);
  });
});
