import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, type Db } from '../../db/client';

/** A client on the suite's migrated database (see test/support/global-setup.ts). */
export function connectDb(): Promise<Db> {
  return createDb(inject('stack').databaseUrl);
}

/** A unique id fragment, so that parallel files never share data. */
export const uid = (prefix = '') => `${prefix}${randomUUID().slice(0, 8)}`;

/** Captures the rejection of a promise (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection, but the promise resolved');
}
