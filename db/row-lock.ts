import type { Db } from './client';

/** A transaction's client (what db.$transaction hands its callback). */
export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];

/**
 * Locks the ReservationLock row `key` until `tx` ends, creating it the first time: an upsert, whose
 * SQL is the same on SQLite (3.24+) and PostgreSQL. On PostgreSQL the upsert's row lock makes a
 * second transaction locking the same key wait until the first ends (a first-time key too: the
 * second insert waits on the unique index, then updates). On SQLite a transaction holds the
 * database's write lock from its start (BEGIN IMMEDIATE, db/sqlite-adapter.ts), so this only
 * keeps the code the same. Raw SQL because Prisma's upsert may run as a read, then an insert that
 * fails for the second of two first-time lockers.
 */
export async function lockReservationRow(tx: Tx, key: string): Promise<void> {
  await tx.$executeRaw`INSERT INTO "ReservationLock" ("key", "bookings") VALUES (${key}, 1)
    ON CONFLICT ("key") DO UPDATE SET "bookings" = "ReservationLock"."bookings" + 1`;
}

/**
 * The lock key of one reservation: its record's move to a new hold (a change) and an arriving
 * car's look at that hold take it, so the car finds the hold in force and no change moves the
 * record from under a car that has taken its hold.
 */
export const reservationLockKey = (reservationId: string) => `reservation:${reservationId}`;
