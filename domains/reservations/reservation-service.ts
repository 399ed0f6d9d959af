import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client';
import { lockReservationRow, type Tx } from '../../db/row-lock';
import type { EventClient, EventType, EventWriter } from '../events';
import { BusinessRejection, NotFoundError, isUniqueViolation } from '../errors';
import type { FaultSwitches } from '../faults/fault-switch';
import { isValidPlate, normalizePlate, withNormalizedPlates } from '../plates';
import { DEFAULT_RESERVATION_POLICY, cancellationFee, checkPeriod, priceOf, type ReservationPolicy } from './reservation-policy';
import { createReservationChanges } from './reservation-change';
import { createReservationQueries } from './reservation-queries';

export interface VehicleView {
  plate: string;
  ownerName: string;
  ownerUserId: string | null;
  blocked: boolean;
  createdAt: string;
}

export type ReservationStatus = 'PENDING' | 'COMPLETED' | 'CANCELLED' | 'USED' | 'EXPIRED';

export interface ReservationView {
  id: string;
  key: string;
  userId: string;
  lotId: string;
  plate: string;
  /** Whole currency units. */
  amount: number;
  startsAt: string;
  endsAt: string;
  status: ReservationStatus;
  reason: string | null;
  spaceId: string | null;
  /** The key the space is held under (parking.holdSpace), for occupyHeldSpace. */
  holdKey: string | null;
  /** Set when the driver cancelled: what the cancellation policy keeps. */
  cancellationFee: number | null;
  /** What the saga refunded on cancellation. */
  refundedAmount: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewReservation {
  key: string;
  userId: string;
  lotId: string;
  plate: string;
  amount: number;
  startsAt: Date | string;
  endsAt: Date | string;
}

export interface ReservationServiceDeps {
  db: Db;
  faults: FaultSwitches;
  now?: () => Date;
  policy?: ReservationPolicy;
  /** The domain event log (reservation.created, .completed, .cancelled, .used, .expired), written with each status. */
  events: EventWriter;
}

const STATUS_EVENTS: Record<ReservationStatus, EventType> = {
  PENDING: 'reservation.created',
  COMPLETED: 'reservation.completed',
  CANCELLED: 'reservation.cancelled',
  USED: 'reservation.used',
  EXPIRED: 'reservation.expired',
};

/** A new reservation as the API checks it before starting its saga. */
export interface ReservationRequest {
  plate: string;
  startsAt: Date | string;
  endsAt: Date | string;
  /** The lot's tariff per started hour; null: the lot takes no reservations. */
  tariffPerHour: number | null;
}

/**
 * Which status a reservation may move to from which. Same-status moves are no-ops.
 * PENDING (being paid) → COMPLETED (paid, space held) → USED (the car came in) / EXPIRED;
 * PENDING or COMPLETED → CANCELLED.
 */
const TRANSITIONS: Record<ReservationStatus, readonly ReservationStatus[]> = {
  PENDING: ['COMPLETED', 'CANCELLED'],
  COMPLETED: ['USED', 'CANCELLED', 'EXPIRED'],
  CANCELLED: [],
  USED: [],
  EXPIRED: [],
};
const STATUSES = Object.keys(TRANSITIONS) as ReservationStatus[];

type ReservationRow = NonNullable<Awaited<ReturnType<Db['reservation']['findUnique']>>>;

/**
 * A booking's transaction waits for the bookings of the same user or plate ahead of it (and, on
 * SQLite, for every other writer): a burst queues for longer than Prisma's defaults (2 s to start, 5 s to run).
 */
const BOOKING_TRANSACTION = { maxWait: 10_000, timeout: 10_000 } as const;

/** Vehicles (the registry reservations need) and parking reservations. */
export function createReservationService({ db, faults, events, now = () => new Date(), policy = DEFAULT_RESERVATION_POLICY }: ReservationServiceDeps) {
  /** The domain event of reservation `r` reaching `status`, for the transaction that moves it there. */
  const eventOf = (
    r: { id: string; key: string; userId: string; lotId: string; plate: string; amount: number; startsAt: Date; endsAt: Date },
    status: ReservationStatus,
    extra: Record<string, unknown> = {},
    client?: EventClient,
  ) =>
    events.stage({
      type: STATUS_EVENTS[status],
      key: r.key,
      subject: `reservation/${r.id}`,
      data: {
        reservationId: r.id,
        userId: r.userId,
        lotId: r.lotId,
        plate: r.plate,
        amount: r.amount,
        startsAt: r.startsAt.toISOString(),
        endsAt: r.endsAt.toISOString(),
        status,
        ...extra,
      },
    }, client);

  const vehicleView = (v: { plate: string; ownerName: string; ownerUserId: string | null; blocked: boolean; createdAt: Date }): VehicleView => ({
    plate: v.plate,
    ownerName: v.ownerName,
    ownerUserId: v.ownerUserId,
    blocked: v.blocked,
    createdAt: v.createdAt.toISOString(),
  });

  const view = (r: ReservationRow): ReservationView => ({
    id: r.id,
    key: r.key,
    userId: r.userId,
    lotId: r.lotId,
    plate: r.plate,
    amount: r.amount,
    startsAt: r.startsAt.toISOString(),
    endsAt: r.endsAt.toISOString(),
    status: r.status as ReservationStatus,
    reason: r.reason,
    spaceId: r.spaceId,
    holdKey: r.holdKey,
    cancellationFee: r.cancellationFee,
    refundedAmount: r.refundedAmount,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  });

  function validPlate(raw: string): string {
    const plate = normalizePlate(String(raw ?? ''));
    if (!isValidPlate(plate)) throw new BusinessRejection('INVALID_PLATE', `"${raw}" is not a valid Turkish plate`);
    return plate;
  }

  const ACTIVE: ReservationStatus[] = ['PENDING', 'COMPLETED'];

  /**
   * The limits that involve other reservations: TOO_MANY_RESERVATIONS (the user holds the most
   * allowed), PLATE_ALREADY_RESERVED (the plate has a reservation overlapping the period).
   * `exceptKey` leaves out the reservation being made (a retried step).
   */
  async function checkHoldings(tx: Tx, userId: string, plate: string, startsAt: Date, endsAt: Date, exceptKey?: string): Promise<void> {
    const notThis = exceptKey ? { key: { not: exceptKey } } : {};
    const held = await tx.reservation.count({ where: { userId, status: { in: ACTIVE }, endsAt: { gt: now() }, ...notThis } });
    if (held >= policy.maxActivePerUser) {
      throw new BusinessRejection('TOO_MANY_RESERVATIONS', `a user holds at most ${policy.maxActivePerUser} active reservations`);
    }
    const overlapping = await tx.reservation.count({
      where: { plate, status: { in: ACTIVE }, startsAt: { lt: endsAt }, endsAt: { gt: startsAt }, ...notThis },
    });
    if (overlapping > 0) throw new BusinessRejection('PLATE_ALREADY_RESERVED', `${plate} already has a reservation in that period`);
  }

  /**
   * Takes the booking lock of `key` ("user:<id>", "plate:<plate>") until `tx` ends (db/row-lock.ts).
   * Why a lock and not a counter of active reservations: "active" depends on the clock (endsAt >
   * now), so a counter would drift from the rows as reservations end unseen; with the lock the
   * reservation rows stay the one fact, and the count and the insert run as one step per user and
   * per plate. On PostgreSQL a second booking waits until the first commits, and its count (READ
   * COMMITTED, one snapshot per statement) then sees the first one's row; SQLite runs one writing
   * transaction at a time. Locks are always taken user first, then plate: no two bookings wait on
   * each other in a circle.
   */
  const lockForBooking = (tx: Tx, key: string) => lockReservationRow(tx, key);

  /** Moves reservation `id` to `to` (no-op when it is there); INVALID_RESERVATION_TRANSITION otherwise. */
  async function moveTo(
    where: { id: string } | { key: string },
    to: ReservationStatus,
    extra: { reason?: string; spaceId?: string; holdKey?: string },
  ): Promise<ReservationRow | null> {
    for (;;) {
      const current = await db.reservation.findUnique({ where });
      if (!current) return null;
      if (current.status === to) return current;
      const from = current.status as ReservationStatus;
      if (!TRANSITIONS[from]?.includes(to)) {
        throw new BusinessRejection('INVALID_RESERVATION_TRANSITION', `reservation ${current.id} is ${from}; it cannot become ${to}`);
      }
      try {
        await db.$transaction([
          db.reservation.update({
            where: { id: current.id, status: from },
            data: {
              status: to,
              ...(extra.reason !== undefined ? { reason: extra.reason } : {}),
              ...(extra.spaceId !== undefined ? { spaceId: extra.spaceId } : {}),
              ...(extra.holdKey !== undefined ? { holdKey: extra.holdKey } : {}),
            },
          }),
          eventOf(current, to, {
            previousStatus: from,
            ...(extra.reason !== undefined && { reason: extra.reason }),
            ...(extra.spaceId !== undefined && { spaceId: extra.spaceId }),
          }),
        ]);
        return db.reservation.findUniqueOrThrow({ where: { id: current.id } });
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'P2025') throw err;
        // It moved under us: decide again.
      }
    }
  }

  // Fault points around the writes (`reservations.<method>`, and `reservations.<method>.after`): see FaultSwitches.guard.
  return faults.guard('reservations', {
    /**
     * Registers a vehicle. Idempotent for the same registration (same owner name and user):
     * answers the existing one. Another owner for a registered plate: VEHICLE_EXISTS.
     * INVALID_PLATE, INVALID_OWNER.
     */
    async registerVehicle(input: { plate: string; ownerName: string; ownerUserId?: string | null }): Promise<VehicleView> {
      const plate = validPlate(input.plate);
      const ownerName = typeof input.ownerName === 'string' ? input.ownerName.trim() : '';
      if (ownerName.length === 0 || ownerName.length > 200) throw new BusinessRejection('INVALID_OWNER', 'owner name must be 1 to 200 characters');
      const ownerUserId = input.ownerUserId ?? null;
      const same = (v: { ownerName: string; ownerUserId: string | null }) => v.ownerName === ownerName && v.ownerUserId === ownerUserId;
      let vehicle = await db.vehicle.findUnique({ where: { plate } });
      if (!vehicle) {
        try {
          vehicle = await db.vehicle.create({ data: { plate, ownerName, ownerUserId } });
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          vehicle = await db.vehicle.findUniqueOrThrow({ where: { plate } });
        }
      }
      if (!same(vehicle)) throw new BusinessRejection('VEHICLE_EXISTS', `${plate} is registered to someone else`);
      return vehicleView(vehicle);
    },

    /** NotFoundError when the plate is not registered. */
    async getVehicle(rawPlate: string): Promise<VehicleView> {
      const plate = normalizePlate(String(rawPlate ?? ''));
      const vehicle = await db.vehicle.findUnique({ where: { plate } });
      if (!vehicle) throw new NotFoundError(`vehicle ${plate} is not registered`);
      return vehicleView(vehicle);
    },

    /** Admin: blocks or unblocks a registered vehicle (blocked ones cannot reserve). */
    async setVehicleBlocked(rawPlate: string, blocked: boolean): Promise<VehicleView> {
      const plate = normalizePlate(String(rawPlate ?? ''));
      const { count } = await db.vehicle.updateMany({ where: { plate }, data: { blocked } });
      if (count === 0) throw new NotFoundError(`vehicle ${plate} is not registered`);
      return vehicleView(await db.vehicle.findUniqueOrThrow({ where: { plate } }));
    },

    /** The policy in force (limits and cancellation), for the API's documentation and answers. */
    policy,

    /**
     * Checks a new reservation before its saga starts and prices it from the lot's tariff (the
     * client never sets the price): INVALID_PLATE, the period rules of checkPeriod (400 naming
     * the field), LOT_NOT_RESERVABLE (no tariff). The limits that depend on other reservations
     * are the saga's createReservation step's to check (its 409 names the saga and the reason).
     */
    async quote(request: Omit<ReservationRequest, 'userId'>): Promise<{ plate: string; amount: number }> {
      const plate = validPlate(request.plate);
      const startsAt = new Date(request.startsAt);
      const endsAt = new Date(request.endsAt);
      // A period that has ended is the saga's to refuse (PERIOD_IN_PAST): a client retrying a booking
      // made just before its end must still get that booking's answer, not a new refusal.
      checkPeriod(policy, startsAt, endsAt, now(), { pastOk: true });
      if (request.tariffPerHour === null) throw new BusinessRejection('LOT_NOT_RESERVABLE', 'this lot takes no reservations (it has no tariff)');
      return { plate, amount: priceOf(request.tariffPerHour, startsAt, endsAt) };
    },

    /**
     * The driver asks to cancel at `at`: records the fee the policy keeps (the first request's
     * fee stands), which the saga's refund then follows. NotFoundError for another user's.
     */
    async requestCancellation(id: string, userId: string, at: Date = now()): Promise<ReservationView> {
      const row = await db.reservation.findUnique({ where: { id } });
      if (!row || !userId || row.userId !== userId) throw new NotFoundError(`reservation ${id} does not exist`);
      const fee = cancellationFee(policy, row.amount, row.startsAt, at);
      await db.reservation.updateMany({ where: { id, cancellationFee: null, status: { in: ACTIVE } }, data: { cancellationFee: fee } });
      return view(await db.reservation.findUniqueOrThrow({ where: { id } }));
    },

    /** Records what the saga refunded on cancellation. */
    async recordRefund(id: string, refundedAmount: number): Promise<void> {
      await db.reservation.updateMany({ where: { id }, data: { refundedAmount } });
    },

    /**
     * Creates a PENDING reservation once per key (a retry answers the same one; the same
     * key for another request: IDEMPOTENCY_KEY_REUSED). Rejections: INVALID_PLATE,
     * the period rules of checkPeriod, TOO_MANY_RESERVATIONS (the user holds the most allowed),
     * PLATE_ALREADY_RESERVED (the plate has a reservation overlapping the period), INVALID_AMOUNT, VEHICLE_NOT_REGISTERED, PLATE_BLOCKED, VEHICLE_NOT_OWNED
     * (the vehicle is registered to another user). The lot is checked by parking.holdSpace.
     */
    async createReservation(input: NewReservation): Promise<ReservationView> {
      const plate = validPlate(input.plate);
      const startsAt = new Date(input.startsAt);
      const endsAt = new Date(input.endsAt);
      if (Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime()) || startsAt >= endsAt) {
        throw new BusinessRejection('INVALID_PERIOD', 'a reservation needs startsAt before endsAt');
      }
      if (!Number.isSafeInteger(input.amount) || input.amount < 1) {
        throw new BusinessRejection('INVALID_AMOUNT', 'amount must be a whole number of currency units, 1 or more');
      }
      if (typeof input.userId !== 'string' || input.userId.length === 0) throw new BusinessRejection('INVALID_USER', 'a reservation needs a user');
      if (typeof input.lotId !== 'string' || input.lotId.length === 0) throw new BusinessRejection('LOT_NOT_FOUND', 'a reservation needs a lot');

      const sameRequest = (r: ReservationRow) =>
        r.userId === input.userId &&
        r.lotId === input.lotId &&
        r.plate === plate &&
        r.amount === input.amount &&
        r.startsAt.getTime() === startsAt.getTime() &&
        r.endsAt.getTime() === endsAt.getTime();
      const answer = (r: ReservationRow) => {
        if (!sameRequest(r)) throw new BusinessRejection('IDEMPOTENCY_KEY_REUSED', `reservation ${input.key} was made for another request`);
        return view(r);
      };
      const existing = await db.reservation.findUnique({ where: { key: input.key } });
      if (existing) return answer(existing);

      checkPeriod(policy, startsAt, endsAt, now());
      const vehicle = await db.vehicle.findUnique({ where: { plate } });
      if (!vehicle) throw new BusinessRejection('VEHICLE_NOT_REGISTERED', `${plate} is not a registered vehicle`);
      if (vehicle.blocked) throw new BusinessRejection('PLATE_BLOCKED', `${plate} is blocked`);
      if (vehicle.ownerUserId !== null && vehicle.ownerUserId !== input.userId) {
        throw new BusinessRejection('VEHICLE_NOT_OWNED', `${plate} is registered to another user`);
      }
      try {
        // The limits and the insert as one step per user and per plate: see lockForBooking.
        const created = await db.$transaction(
          async (tx) => {
            await lockForBooking(tx, `user:${input.userId}`);
            await lockForBooking(tx, `plate:${plate}`);
            const made = await tx.reservation.findUnique({ where: { key: input.key } }); // by a retry of this step meanwhile
            if (made) return made;
            await checkHoldings(tx, input.userId, plate, startsAt, endsAt, input.key);
            const data = { id: randomUUID(), key: input.key, userId: input.userId, lotId: input.lotId, plate, amount: input.amount, startsAt, endsAt };
            const row = await tx.reservation.create({ data });
            await eventOf(data, 'PENDING', {}, tx);
            return row;
          },
          BOOKING_TRANSACTION,
        );
        return answer(created);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        return answer(await db.reservation.findUniqueOrThrow({ where: { key: input.key } }));
      }
    },

    /**
     * Moves a reservation to `status` (see TRANSITIONS), recording a reason, the held
     * space and its hold key when given. Idempotent: a reservation already there is
     * answered as it is. NotFoundError, INVALID_STATUS, INVALID_RESERVATION_TRANSITION.
     */
    async setReservationStatus(
      id: string,
      status: ReservationStatus,
      extra: { reason?: string; spaceId?: string; holdKey?: string } = {},
    ): Promise<ReservationView> {
      if (!STATUSES.includes(status)) throw new BusinessRejection('INVALID_STATUS', `unknown reservation status "${status}"`);
      const row = await moveTo({ id }, status, extra);
      if (!row) throw new NotFoundError(`reservation ${id} does not exist`);
      return view(row);
    },

    /**
     * The undo of createReservation(key): CANCELLED with `reason`. A no-op when there is
     * none, or it is cancelled already; a USED or EXPIRED reservation is left as it is.
     */
    async cancelReservationByKey(key: string, reason: string): Promise<void> {
      const current = await db.reservation.findUnique({ where: { key } });
      if (!current || current.status === 'USED' || current.status === 'EXPIRED') return;
      try {
        await moveTo({ key }, 'CANCELLED', { reason });
      } catch (err) {
        if (!(err instanceof BusinessRejection)) throw err; // moved to USED/EXPIRED meanwhile
      }
    },

    /** The user's reservation; NotFoundError for a missing one AND for another user's. */
    async getReservation(id: string, userId: string): Promise<ReservationView> {
      const row = await db.reservation.findUnique({ where: { id } });
      if (!row || !userId || row.userId !== userId) throw new NotFoundError(`reservation ${id} does not exist`);
      return view(row);
    },

    /** Any reservation by id, for sagas and operators. */
    async loadReservation(id: string): Promise<ReservationView> {
      const row = await db.reservation.findUnique({ where: { id } });
      if (!row) throw new NotFoundError(`reservation ${id} does not exist`);
      return view(row);
    },

    async findReservationByKey(key: string): Promise<ReservationView | null> {
      const row = await db.reservation.findUnique({ where: { key } });
      return row ? view(row) : null;
    },

    /** The user's reservations, newest first. */
    async listReservations(userId: string): Promise<ReservationView[]> {
      if (!userId) return [];
      const rows = await db.reservation.findMany({ where: { userId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200 });
      return rows.map(view);
    },

    // Changes of a booked reservation (its saga's changeReservation update).
    ...createReservationChanges(db, policy, now),

    // The query side (searches for operators, the caller's vehicles), keyset-paged.
    ...createReservationQueries(db, { reservation: view, vehicle: vehicleView }),

    /**
     * For the entry saga: the COMPLETED reservation of `plate` in `lotId` whose period
     * covers `at` (startsAt <= at < endsAt), or null.
     */
    async findActiveReservation(lotId: string, rawPlate: string, at: Date = now()): Promise<ReservationView | null> {
      const plate = normalizePlate(String(rawPlate ?? ''));
      const row = await db.reservation.findFirst({
        where: { lotId, plate, status: 'COMPLETED', startsAt: { lte: at }, endsAt: { gt: at } },
        orderBy: { startsAt: 'asc' },
      });
      return row ? view(row) : null;
    },
  },
  {
    before: ['createReservation', 'setReservationStatus', 'cancelReservationByKey', 'moveReservation', 'restoreReservation'],
    subjects: withNormalizedPlates,
  });
}

export type ReservationService = ReturnType<typeof createReservationService>;
