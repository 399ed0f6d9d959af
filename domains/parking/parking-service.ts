import type { Db } from '../../db/client';
import { lockReservationRow, reservationLockKey, type Tx } from '../../db/row-lock';
import { BusinessRejection, NotFoundError, isUniqueViolation } from '../errors';
import type { FaultSwitches } from '../faults/fault-switch';

export interface LotView {
  id: string;
  name: string;
  capacity: number;
  requireGateConfirmation: boolean;
  gateTimeoutSeconds: number;
  /** Reservation price per started hour (whole units); null: the lot takes no reservations. */
  tariffPerHour: number | null;
  free: number;
  occupied: number;
  reserved: number;
}

export interface Allocation {
  stayId: string;
  spaceId: string;
  spaceNumber: number;
  lotId: string;
  plate: string;
  enteredAt: string;
  /** The lot's gate policy, so that the saga knows whether to wait at the gate. */
  requireGateConfirmation: boolean;
  gateTimeoutSeconds: number;
}

export interface Release {
  stayId: string;
  spaceId: string;
  lotId: string;
  plate: string;
  enteredAt: string;
  releasedAt: string;
}

/** A space held (RESERVED) for a reservation. */
export interface Hold {
  holdKey: string;
  spaceId: string;
  spaceNumber: number;
  lotId: string;
  plate: string;
}

/** A stay that an entry elsewhere closed (see closeStaysElsewhere). */
export interface ClosedStay {
  stayId: string;
  lotId: string;
  spaceId: string;
  enteredAt: string;
}

export interface NewLot {
  name: string;
  capacity: number;
  requireGateConfirmation?: boolean;
  gateTimeoutSeconds?: number;
  tariffPerHour?: number | null;
}

export interface ParkingServiceDeps {
  db: Db;
  faults: FaultSwitches;
}

/**
 * The parking domain: lots, spaces and stays.
 * Every write is keyed by the caller's idempotency key, and a space is claimed
 * with one conditional UPDATE, so that concurrent claims never share a space.
 */
export function createParkingService({ db, faults }: ParkingServiceDeps) {
  async function requireLot(lotId: string) {
    const lot = await db.lot.findUnique({ where: { id: lotId } });
    if (!lot) throw new BusinessRejection('LOT_NOT_FOUND', `lot ${lotId} does not exist`);
    return lot;
  }

  async function getLot(lotId: string): Promise<LotView> {
    const lot = await db.lot.findUnique({ where: { id: lotId } });
    if (!lot) throw new NotFoundError(`lot ${lotId} does not exist`);
    const counts = await db.space.groupBy({ by: ['status'], where: { lotId }, _count: { _all: true } });
    const count = (status: string) => counts.find((c) => c.status === status)?._count._all ?? 0;
    const { createdAt: _createdAt, ...view } = lot;
    return { ...view, free: count('FREE'), occupied: count('OCCUPIED'), reserved: count('RESERVED') };
  }

  /**
   * Claims a free space for `plate` under `holderKey`, OCCUPIED (a car on it: the space carries
   * its plate) or RESERVED (held for a reservation: the space names the plate in heldFor);
   * answers the space already claimed under that key, whatever its state. The space's unique
   * (lot, plate) stops a second car claim. ALREADY_INSIDE when the plate is on a space of the
   * lot (a car whose reservation has not started is given a free space like any car);
   * LOT_FULL when no space is free.
   */
  async function claimSpace(claim: { lotId: string; plate: string; holderKey: string; status: 'OCCUPIED' | 'RESERVED'; preferredSpaceId?: string }) {
    const { lotId, plate, holderKey, status, preferredSpaceId } = claim;
    for (;;) {
      const mine = await db.space.findUnique({ where: { holderKey } });
      if (mine) return mine;
      const inside = await db.space.findFirst({ where: { lotId, plate }, select: { id: true } });
      if (inside) throw new BusinessRejection('ALREADY_INSIDE', `${plate} is already inside lot ${lotId}`);
      const candidate =
        (preferredSpaceId && (await db.space.findFirst({ where: { id: preferredSpaceId, status: 'FREE' } }))) ||
        (await db.space.findFirst({ where: { lotId, status: 'FREE' }, orderBy: { number: 'asc' } }));
      if (!candidate) throw new BusinessRejection('LOT_FULL', `lot ${lotId} has no free space`);
      try {
        const marks = status === 'OCCUPIED' ? { plate, heldFor: null } : { plate: null, heldFor: plate };
        const { count } = await db.space.updateMany({ where: { id: candidate.id, status: 'FREE' }, data: { status, holderKey, ...marks } });
        if (count === 1) return { ...candidate, status, holderKey, ...marks };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // The same plate (or this key) took another space a moment ago: loop and look again.
      }
    }
  }

  // Fault points around the writes (`parking.<method>`, and `parking.<method>.after`): see FaultSwitches.guard.
  return faults.guard('parking', {
    async createLot(input: NewLot): Promise<LotView> {
      const lot = await db.lot.create({
        data: {
          name: input.name,
          capacity: input.capacity,
          requireGateConfirmation: input.requireGateConfirmation ?? false,
          gateTimeoutSeconds: input.gateTimeoutSeconds ?? 120,
          tariffPerHour: input.tariffPerHour ?? null,
          spaces: { create: Array.from({ length: input.capacity }, (_, i) => ({ number: i + 1 })) },
        },
      });
      const { createdAt: _createdAt, ...view } = lot;
      return { ...view, free: input.capacity, occupied: 0, reserved: 0 };
    },

    /** Admin: sets (or, with null, removes) the lot's reservation tariff per started hour. NotFoundError. */
    async setTariff(lotId: string, tariffPerHour: number | null): Promise<LotView> {
      if (tariffPerHour !== null && (!Number.isSafeInteger(tariffPerHour) || tariffPerHour < 1)) {
        throw new BusinessRejection('INVALID_TARIFF', 'the tariff is a whole number of currency units per hour, 1 or more');
      }
      const { count } = await db.lot.updateMany({ where: { id: lotId }, data: { tariffPerHour } });
      if (count === 0) throw new NotFoundError(`lot ${lotId} does not exist`);
      return getLot(lotId);
    },

    getLot,

    /** Gives `plate` a space in the lot and opens its stay; a retry under the same key gets the same space. */
    async allocateSpace(input: { key: string; lotId: string; plate: string }): Promise<Allocation> {
      const lot = await requireLot(input.lotId);
      const toAllocation = (stay: { id: string; spaceId: string; enteredAt: Date }, spaceNumber: number): Allocation => ({
        stayId: stay.id,
        spaceId: stay.spaceId,
        spaceNumber,
        lotId: lot.id,
        plate: input.plate,
        enteredAt: stay.enteredAt.toISOString(),
        requireGateConfirmation: lot.requireGateConfirmation,
        gateTimeoutSeconds: lot.gateTimeoutSeconds,
      });
      const existing = await db.stay.findUnique({ where: { key: input.key } });
      if (existing) {
        const space = await db.space.findUniqueOrThrow({ where: { id: existing.spaceId } });
        return toAllocation(existing, space.number);
      }
      const space = await claimSpace({ lotId: lot.id, plate: input.plate, holderKey: input.key, status: 'OCCUPIED' });
      try {
        const stay = await db.stay.create({ data: { key: input.key, lotId: lot.id, spaceId: space.id, plate: input.plate } });
        return toAllocation(stay, space.number);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        return toAllocation(await db.stay.findUniqueOrThrow({ where: { key: input.key } }), space.number);
      }
    },

    /**
     * Undoes allocateSpace(key): frees the space and closes the stay.
     * Safe when the allocation never happened, half happened, or was already undone.
     */
    async releaseAllocation(key: string): Promise<void> {
      await db.space.updateMany({ where: { holderKey: key }, data: { status: 'FREE', plate: null, holderKey: null } });
      await db.stay.updateMany({ where: { key, status: 'ACTIVE' }, data: { status: 'RELEASED', releasedAt: new Date() } });
    },

    /**
     * One car in one place: the plate is entering `lotId`, so it left any other lot without its
     * exit being seen (a missed exit read, a misread, a cloned plate). Closes its stays there as
     * EXIT_NOT_SEEN and frees their spaces. Idempotent by key: a retry answers the stays this
     * key closed. Each space is freed before its stay is closed, so a crash between the two
     * leaves the stay ACTIVE for the retry to find.
     */
    async closeStaysElsewhere(input: { key: string; lotId: string; plate: string }): Promise<ClosedStay[]> {
      const open = await db.stay.findMany({ where: { plate: input.plate, status: 'ACTIVE', lotId: { not: input.lotId } } });
      for (const stay of open) {
        await db.space.updateMany({ where: { holderKey: stay.key }, data: { status: 'FREE', plate: null, holderKey: null } });
        await db.stay.updateMany({
          where: { id: stay.id, status: 'ACTIVE' },
          data: { status: 'RELEASED', releasedAt: new Date(), releaseKey: `${input.key}#${stay.id}`, endReason: 'EXIT_NOT_SEEN' },
        });
      }
      const closed = await db.stay.findMany({ where: { releaseKey: { startsWith: `${input.key}#` } }, orderBy: { enteredAt: 'asc' } });
      return closed.map((s) => ({ stayId: s.id, lotId: s.lotId, spaceId: s.spaceId, enteredAt: s.enteredAt.toISOString() }));
    },

    /**
     * Ends the plate's stay in the lot (the car leaves); a retry under the same key gets the same
     * release. With `keepSpace` the space stays taken until vacateSpace(stayId): until the exit is
     * on record the car may still have to stay, and undoRelease must find its space free for it.
     */
    async releaseVehicle(input: { key: string; lotId: string; plate: string; keepSpace?: boolean }): Promise<Release> {
      let stay = await db.stay.findUnique({ where: { releaseKey: input.key } });
      if (!stay) {
        const active = await db.stay.findFirst({ where: { lotId: input.lotId, plate: input.plate, status: 'ACTIVE' } });
        if (!active) throw new BusinessRejection('NOT_INSIDE', `${input.plate} is not inside lot ${input.lotId}`);
        const { count } = await db.stay.updateMany({
          where: { id: active.id, status: 'ACTIVE' },
          data: { status: 'RELEASED', releasedAt: new Date(), releaseKey: input.key },
        });
        if (count === 0) throw new BusinessRejection('NOT_INSIDE', `${input.plate} left lot ${input.lotId} just now`);
        stay = await db.stay.findUniqueOrThrow({ where: { id: active.id } });
      }
      if (!input.keepSpace) await db.space.updateMany({ where: { holderKey: stay.key }, data: { status: 'FREE', plate: null, holderKey: null } });
      return {
        stayId: stay.id,
        spaceId: stay.spaceId,
        lotId: stay.lotId,
        plate: stay.plate,
        enteredAt: stay.enteredAt.toISOString(),
        releasedAt: (stay.releasedAt ?? new Date()).toISOString(),
      };
    },

    /**
     * Holds a FREE space for a reservation: RESERVED, held for the plate (heldFor), under
     * holderKey = key. Idempotent by key. LOT_NOT_FOUND, LOT_FULL, ALREADY_INSIDE (the car is
     * in the lot). Overlapping reservations of one plate are the reservations domain's to refuse.
     */
    async holdSpace(input: { key: string; lotId: string; plate: string }): Promise<Hold> {
      const lot = await requireLot(input.lotId);
      const toHold = (space: { id: string; number: number }): Hold => ({
        holdKey: input.key,
        spaceId: space.id,
        spaceNumber: space.number,
        lotId: lot.id,
        plate: input.plate,
      });
      const space = await claimSpace({ lotId: lot.id, plate: input.plate, holderKey: input.key, status: 'RESERVED' });
      // Claimed earlier under this key: it must be this very hold.
      if (space.status !== 'RESERVED' || space.heldFor !== input.plate || space.lotId !== lot.id) {
        throw new BusinessRejection('HOLD_KEY_REUSED', `hold ${input.key} is not a reservation of ${input.plate} in lot ${lot.id}`);
      }
      return toHold(space);
    },

    /** Whether the car with `plate` is on space `spaceId` (a reservation's hold it has taken: occupyHeldSpace). */
    async isOccupiedBy(spaceId: string, plate: string): Promise<boolean> {
      return (await db.space.count({ where: { id: spaceId, status: 'OCCUPIED', plate } })) > 0;
    },

    /** Undoes holdSpace(key): the held space is FREE again. Safe when never held, or already released or occupied. */
    async releaseHold(key: string): Promise<void> {
      await db.space.updateMany({ where: { holderKey: key, status: 'RESERVED' }, data: { status: 'FREE', plate: null, heldFor: null, holderKey: null } });
    },

    /**
     * The reserved car arrives: the space held under holdKey becomes OCCUPIED by a new stay
     * under `key` (like allocateSpace; releaseAllocation(key) and releaseVehicle work on it).
     * Idempotent by key. LOT_NOT_FOUND; NO_HOLD when no space is held for the plate under holdKey.
     * Given the reservation, the hold is the one its record names now, read under the
     * reservation's lock (db/row-lock.ts) with the space and the stay written in the same
     * transaction: a change that moved the reservation to a new hold after the car's saga looked
     * it up cannot leave the car facing a released hold.
     */
    async occupyHeldSpace(input: { key: string; holdKey: string; lotId: string; plate: string; reservationId?: string }): Promise<Allocation> {
      const lot = await requireLot(input.lotId);
      const toAllocation = (stay: { id: string; spaceId: string; enteredAt: Date }, spaceNumber: number): Allocation => ({
        stayId: stay.id,
        spaceId: stay.spaceId,
        spaceNumber,
        lotId: lot.id,
        plate: input.plate,
        enteredAt: stay.enteredAt.toISOString(),
        requireGateConfirmation: lot.requireGateConfirmation,
        gateTimeoutSeconds: lot.gateTimeoutSeconds,
      });
      const existing = await db.stay.findUnique({ where: { key: input.key } });
      if (existing) {
        const space = await db.space.findUniqueOrThrow({ where: { id: existing.spaceId } });
        return toAllocation(existing, space.number);
      }
      const occupy = async (client: Db | Tx, holdKey: string) => {
        await client.space.updateMany({
          where: { holderKey: holdKey, status: 'RESERVED', lotId: lot.id, heldFor: input.plate },
          data: { status: 'OCCUPIED', holderKey: input.key, plate: input.plate, heldFor: null },
        });
        // Converted now or by an earlier attempt that stopped before opening the stay.
        const space = await client.space.findUnique({ where: { holderKey: input.key } });
        if (!space || space.status !== 'OCCUPIED') {
          throw new BusinessRejection('NO_HOLD', `no space is held for ${input.plate} in lot ${lot.id} under ${holdKey}`);
        }
        const stay = await client.stay.create({ data: { key: input.key, lotId: lot.id, spaceId: space.id, plate: input.plate } });
        return toAllocation(stay, space.number);
      };
      try {
        const { reservationId } = input;
        if (!reservationId) return await occupy(db, input.holdKey);
        return await db.$transaction(async (tx) => {
          await lockReservationRow(tx, reservationLockKey(reservationId));
          const reservation = await tx.reservation.findUnique({ where: { id: reservationId }, select: { holdKey: true } });
          return occupy(tx, reservation?.holdKey ?? input.holdKey);
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        const stay = await db.stay.findUniqueOrThrow({ where: { key: input.key } });
        return toAllocation(stay, (await db.space.findUniqueOrThrow({ where: { id: stay.spaceId } })).number);
      }
    },

    /**
     * Undoes occupyHeldSpace(key) and gives the reservation its space back: the space is
     * RESERVED under holdKey again and the stay is closed. Safe when the occupation never
     * happened or was undone. (releaseAllocation(key) would free the space instead.) Given the
     * reservation, the hold is the one its record names (the one the car took: no change moves
     * a reservation whose car is on its space), read under the reservation's lock. Answers the
     * hold key the space is back under.
     */
    async returnToHold(input: { key: string; holdKey: string; reservationId?: string }): Promise<string> {
      const giveBack = async (client: Db | Tx, holdKey: string) => {
        const occupied = await client.space.findUnique({ where: { holderKey: input.key } });
        if (occupied?.status === 'OCCUPIED') {
          await client.space.updateMany({
            where: { id: occupied.id, holderKey: input.key, status: 'OCCUPIED' },
            data: { status: 'RESERVED', holderKey: holdKey, heldFor: occupied.plate, plate: null },
          });
        }
        await client.stay.updateMany({ where: { key: input.key, status: 'ACTIVE' }, data: { status: 'RELEASED', releasedAt: new Date() } });
        return holdKey;
      };
      const { reservationId } = input;
      if (!reservationId) return giveBack(db, input.holdKey);
      return db.$transaction(async (tx) => {
        await lockReservationRow(tx, reservationLockKey(reservationId));
        const reservation = await tx.reservation.findUnique({ where: { id: reservationId }, select: { holdKey: true } });
        return giveBack(tx, reservation?.holdKey ?? input.holdKey);
      });
    },

    /** Frees the space of a stay that releaseVehicle ended with `keepSpace`; a no-op once it is free or the stay is active again. */
    async vacateSpace(stayId: string): Promise<void> {
      const stay = await db.stay.findUnique({ where: { id: stayId } });
      if (stay?.status !== 'RELEASED') return;
      await db.space.updateMany({ where: { holderKey: stay.key }, data: { status: 'FREE', plate: null, holderKey: null } });
    },

    /** Undoes releaseVehicle(key): the car is still inside, back on its space (or another free one). */
    async undoRelease(key: string): Promise<void> {
      const stay = await db.stay.findUnique({ where: { releaseKey: key } });
      if (!stay || stay.status === 'ACTIVE') return;
      await claimSpace({ lotId: stay.lotId, plate: stay.plate, holderKey: stay.key, status: 'OCCUPIED', preferredSpaceId: stay.spaceId });
      const space = await db.space.findUniqueOrThrow({ where: { holderKey: stay.key } });
      await db.stay.updateMany({
        where: { id: stay.id },
        data: { status: 'ACTIVE', releasedAt: null, releaseKey: null, spaceId: space.id },
      });
    },
  },
  {
    before: ['allocateSpace', 'releaseAllocation', 'releaseVehicle', 'holdSpace', 'releaseHold', 'occupyHeldSpace', 'returnToHold', 'undoRelease', 'vacateSpace', 'closeStaysElsewhere'],
  });
}

export type ParkingService = ReturnType<typeof createParkingService>;
