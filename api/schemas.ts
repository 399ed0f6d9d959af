/**
 * The shapes the API answers with: each route's response schemas come from here (or from a
 * saga's contract), so that the OpenAPI document describes them and the serializer sends
 * nothing else. `satisfies` ties each view to the domain's type it serializes.
 */
import { z } from 'zod';
import type { ArmedFault } from '../domains/faults/fault-switch';
import type { StockView } from '../domains/inventory/inventory-service';
import type { LotView } from '../domains/parking/parking-service';
import type { OrderView } from '../domains/orders/order-service';
import type { ProductView } from '../domains/catalog/catalog-service';
import type { ReservationView, VehicleView } from '../domains/reservations/reservation-service';
import type { UserView } from '../domains/users/user-service';

export const fieldError = z.object({ field: z.string(), in: z.string(), message: z.string() });

/** Every error answer: 400 names the bad fields, 409 the business reason. */
export const errorReply = z
  .object({
    error: z.string(),
    message: z.string(),
    /** A business rejection's code (409), e.g. LOT_FULL. */
    reason: z.string().optional(),
    /** 400: each bad field. */
    fields: z.array(fieldError).optional(),
    /** 429: the limit that was reached. */
    limit: z.string().optional(),
  })
  .meta({ id: 'Error' });

/** The error answers any route may give (routes with their own 409 shape declare it). */
export const ERROR_REPLIES = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 409: errorReply, 503: errorReply } as const;

export const noContent = z.null().meta({ description: 'No content' });

export const lotView = z
  .object({
    id: z.string(),
    name: z.string(),
    capacity: z.number(),
    requireGateConfirmation: z.boolean(),
    gateTimeoutSeconds: z.number(),
    free: z.number(),
    occupied: z.number(),
    reserved: z.number(),
    tariffPerHour: z.number().nullable(),
  })
  .meta({ id: 'Lot' }) satisfies z.ZodType<LotView>;

export const blockedPlateView = z
  .object({ plate: z.string(), reason: z.string(), createdAt: z.string() })
  .meta({ id: 'BlockedPlate' });

export const productView = z
  .object({ id: z.string(), sku: z.string(), name: z.string(), price: z.number(), createdAt: z.string(), updatedAt: z.string() })
  .meta({ id: 'Product' }) satisfies z.ZodType<ProductView>;

export const stockView = z
  .object({ productId: z.string(), available: z.number(), reserved: z.number(), sold: z.number() })
  .meta({ id: 'Stock' }) satisfies z.ZodType<StockView>;

export const userRole = z.enum(['user', 'operator', 'admin']);

export const userView = z
  .object({ id: z.string(), email: z.string(), role: userRole, webhookUrl: z.string().nullable(), createdAt: z.string() })
  .meta({ id: 'User' }) satisfies z.ZodType<Omit<UserView, 'tokenVersion'>>; // the token version stays inside

export const vehicleView = z
  .object({ plate: z.string(), ownerName: z.string(), ownerUserId: z.string().nullable(), blocked: z.boolean(), createdAt: z.string() })
  .meta({ id: 'Vehicle' }) satisfies z.ZodType<VehicleView>;

export const reservationStatus = z.enum(['PENDING', 'COMPLETED', 'CANCELLED', 'USED', 'EXPIRED']);

export const reservationView = z
  .object({
    id: z.string(),
    key: z.string(),
    userId: z.string(),
    lotId: z.string(),
    plate: z.string(),
    amount: z.number(),
    startsAt: z.string(),
    endsAt: z.string(),
    status: reservationStatus,
    reason: z.string().nullable(),
    spaceId: z.string().nullable(),
    holdKey: z.string().nullable(),
    cancellationFee: z.number().nullable(),
    refundedAmount: z.number().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Reservation' }) satisfies z.ZodType<ReservationView>;

export const orderView = z
  .object({
    id: z.string(),
    key: z.string(),
    userId: z.string(),
    status: z.enum(['PENDING', 'CONFIRMED', 'CANCELLED']),
    cancelReason: z.string().nullable(),
    total: z.number(),
    lines: z.array(z.object({ productId: z.string(), quantity: z.number(), unitPrice: z.number(), lineTotal: z.number() })),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Order' }) satisfies z.ZodType<OrderView>;

export const armedFault = z
  .object({
    point: z.string(),
    match: z.string(),
    remaining: z.number().nullable(),
    delayMs: z.number().nullable(),
    kill: z.boolean(),
    hold: z.boolean(),
    message: z.string(),
  })
  .meta({ id: 'Fault' }) satisfies z.ZodType<ArmedFault>;

/** One page of a search: the items under `name`, and the cursor of the next page (null on the last). */
export const page = <N extends string, T extends z.ZodType>(name: N, item: T) =>
  z.object({ [name]: z.array(item), nextCursor: z.string().nullable() } as { [K in N]: z.ZodArray<T> } & { nextCursor: z.ZodNullable<z.ZodString> });
