/**
 * A business rule said no. Retrying cannot change the answer, so sagas reject
 * (and roll back what they did) instead of retrying.
 */
export class BusinessRejection extends Error {
  override readonly name = 'BusinessRejection';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A lookup for something that does not exist (mapped to 404 by the API). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** True for a unique-constraint violation from Prisma (P2002), whichever adapter raised it. */
export function isUniqueViolation(err: unknown, field?: string): boolean {
  if (typeof err !== 'object' || err === null || (err as { code?: unknown }).code !== 'P2002') return false;
  if (!field) return true;
  const target = JSON.stringify((err as { meta?: unknown }).meta ?? {});
  return target.includes(field);
}
