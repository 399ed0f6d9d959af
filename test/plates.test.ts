import { describe, expect, it } from 'vitest';
import { isValidPlate, normalizePlate } from '../domains/plates';

describe('Turkish plate rules', () => {
  it('normalises to upper case without spaces', () => {
    expect(normalizePlate('34 abc 123')).toBe('34ABC123');
    expect(normalizePlate(' 06\tA  1234 ')).toBe('06A1234');
  });

  it.each([
    ['01A1234', 'province 01, 1 letter, 4 digits'],
    ['81A12345', 'province 81, 1 letter, 5 digits'],
    ['34AB123', '2 letters, 3 digits'],
    ['34AB1234', '2 letters, 4 digits'],
    ['34ABC12', '3 letters, 2 digits'],
    ['34ABC123', '3 letters, 3 digits'],
    ['06ZZ999', 'Z, the last serial letter'],
    ['35IOY100', 'I and O are Turkish letters'],
  ])('accepts %s (%s)', (plate) => {
    expect(isValidPlate(plate)).toBe(true);
  });

  it.each([
    ['00A1234', 'province 00'],
    ['82A1234', 'province above 81'],
    ['3A1234', 'one-digit province'],
    ['34A123', '1 letter with 3 digits'],
    ['34A123456', '1 letter with 6 digits'],
    ['34AB12', '2 letters with 2 digits'],
    ['34AB12345', '2 letters with 5 digits'],
    ['34ABC1', '3 letters with 1 digit'],
    ['34ABC1234', '3 letters with 4 digits'],
    ['34ABCD12', '4 letters'],
    ['341234', 'no letters'],
    ['34Q1234', 'Q is not a Turkish letter'],
    ['34WX123', 'W and X are not Turkish letters'],
    ['34ÇA123', 'Ç is not a serial letter'],
    ['34ĞA123', 'Ğ is not a serial letter'],
    ['34İA123', 'İ is not a serial letter'],
    ['34ÖA123', 'Ö is not a serial letter'],
    ['34ŞA123', 'Ş is not a serial letter'],
    ['34ÜA123', 'Ü is not a serial letter'],
    ['34abc123', 'not normalised'],
    ['', 'empty'],
  ])('rejects %s (%s)', (plate) => {
    expect(isValidPlate(plate)).toBe(false);
  });

  it('rejects what the issue names as plates that cannot exist', () => {
    for (const raw of ['34 Q 12', '34 AB 12', '34 ABC 1234']) expect(isValidPlate(normalizePlate(raw))).toBe(false);
  });
});
