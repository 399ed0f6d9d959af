import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto), stored as
 *   scrypt$N$r$p$<salt base64>$<hash base64>
 * so that the parameters can be raised later without breaking stored hashes: a stored hash
 * verifies with its own parameters, and needsRehash says when to replace it at the next login.
 * N=2^17, r=8, p=1 is OWASP's current scrypt minimum (128 MiB and a few hundred ms per hash).
 */
export const SCRYPT_PARAMS = { N: 131_072, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

/** scrypt needs 128·N·r bytes; Node refuses above maxmem (32 MiB by default). */
const maxmemFor = (N: number, r: number) => 128 * N * r + 32 * 1024 * 1024;

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, keyLength, saltLength } = SCRYPT_PARAMS;
  const salt = randomBytes(saltLength);
  const hash = await scryptAsync(password, salt, keyLength, { N, r, p, maxmem: maxmemFor(N, r) });
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when `password` matches `stored`; constant-time comparison; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((n) => Number.isSafeInteger(n) && n > 0)) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await scryptAsync(password, salt, expected.length, { N, r, p, maxmem: maxmemFor(N, r) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** True when `stored` was made with weaker parameters than today's (or is not ours): hash it again. */
export function needsRehash(stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return true;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  return N < SCRYPT_PARAMS.N || r < SCRYPT_PARAMS.r || p < SCRYPT_PARAMS.p;
}
