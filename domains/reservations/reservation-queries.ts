import type { Db } from '../../db/client';
import { normalizePlate } from '../plates';

/**
 * Where a page ends, in the one order every listing here uses: newest first, by (createdAt, key)
 * descending, where key is the row's id (a vehicle's: its plate). Both never change once written
 * and the pair is unique, so the order is total and stable: the next page starts strictly after
 * this position, and a row written meanwhile lands before the first page or somewhere after the
 * position, never in a page already read. No row is skipped or repeated (an offset would do both).
 */
export interface PagePosition {
  createdAt: string;
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts; null on the last page. */
  next: PagePosition | null;
}

export interface PageRequest {
  after?: PagePosition | null;
  limit: number;
}

/** Every page is bounded, whatever a caller asks for (the API allows up to this many, too). */
export const MAX_PAGE_SIZE = 100;

export type ReservationStatusFilter = 'PENDING' | 'COMPLETED' | 'CANCELLED' | 'USED' | 'EXPIRED';

export interface ReservationSearch extends PageRequest {
  plate?: string;
  lotId?: string;
  userId?: string;
  status?: ReservationStatusFilter;
  /** Reservations whose period overlaps [from, to): endsAt > from and startsAt < to. */
  from?: Date;
  to?: Date;
}

export interface VehicleSearch extends PageRequest {
  ownerUserId?: string;
  /** Normalised plate prefix ("34AB"). */
  platePrefix?: string;
}

const pageSize = (limit: number) => Math.min(Math.max(1, Math.trunc(limit) || 1), MAX_PAGE_SIZE);

/** Rows strictly after `after` in (createdAt desc, key desc) order. */
function after<K extends string>(position: PagePosition | null | undefined, key: K) {
  if (!position) return {};
  const at = new Date(position.createdAt);
  return { OR: [{ createdAt: { lt: at } }, { createdAt: at, [key]: { lt: position.id } }] };
}

/** Takes one row more than the page to tell whether there is a next page. */
function toPage<R extends { createdAt: Date }, T>(rows: R[], size: number, key: (r: R) => string, view: (r: R) => T): Page<T> {
  const items = rows.slice(0, size);
  const last = items[items.length - 1];
  return {
    items: items.map(view),
    next: rows.length > size && last ? { createdAt: last.createdAt.toISOString(), id: key(last) } : null,
  };
}

type ReservationRow = Awaited<ReturnType<Db['reservation']['findMany']>>[number];
type VehicleRow = Awaited<ReturnType<Db['vehicle']['findMany']>>[number];

/** The reservation domain's query side: keyset-paged searches over reservations and vehicles. */
export function createReservationQueries<RV, VV>(db: Db, views: { reservation: (r: ReservationRow) => RV; vehicle: (v: VehicleRow) => VV }) {
  async function searchVehicles(q: VehicleSearch): Promise<Page<VV>> {
    const size = pageSize(q.limit);
    const rows = await db.vehicle.findMany({
      where: {
        AND: [
          q.ownerUserId !== undefined ? { ownerUserId: q.ownerUserId } : {},
          q.platePrefix ? { plate: { startsWith: normalizePlate(q.platePrefix) } } : {},
          after(q.after, 'plate'),
        ],
      },
      orderBy: [{ createdAt: 'desc' }, { plate: 'desc' }],
      take: size + 1,
    });
    return toPage(rows, size, (v) => v.plate, views.vehicle);
  }

  return {
    /** Operators: reservations matching every filter given, newest first, one page. */
    async searchReservations(q: ReservationSearch): Promise<Page<RV>> {
      const size = pageSize(q.limit);
      const rows = await db.reservation.findMany({
        where: {
          AND: [
            q.plate !== undefined ? { plate: normalizePlate(q.plate) } : {},
            q.lotId !== undefined ? { lotId: q.lotId } : {},
            q.userId !== undefined ? { userId: q.userId } : {},
            q.status !== undefined ? { status: q.status } : {},
            q.from !== undefined ? { endsAt: { gt: q.from } } : {},
            q.to !== undefined ? { startsAt: { lt: q.to } } : {},
            after(q.after, 'id'),
          ],
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: size + 1,
      });
      return toPage(rows, size, (r) => r.id, views.reservation);
    },

    /** Operators: vehicles by owner and/or plate prefix, newest first, one page. */
    searchVehicles,

    /** The user's own vehicles, newest first, one page; nobody's for an empty user id. */
    async listVehicles(userId: string, page: PageRequest): Promise<Page<VV>> {
      if (!userId) return { items: [], next: null };
      return searchVehicles({ ...page, ownerUserId: userId });
    },
  };
}
