import type { Db } from '../db/client';
import type { OutboundPolicy } from '../shared/outbound-url';
import { createFaultSwitches } from './faults/fault-switch';
import { createStepFences } from './fences';
import { createParkingService } from './parking';
import { createPlateService, type PlateRecognition } from './plates';
import { createCatalogService } from './catalog';
import { createInventoryService } from './inventory';
import { createNotificationService, type NotificationOptions } from './notifications';
import { createOrderService } from './orders';
import { createPaymentService, UNCONFIGURED_PAYMENT_GATEWAY, type PaymentGateway } from './payments';
import { createReservationService, type ReservationPolicy } from './reservations';
import { createUserService } from './users';

export interface DomainOptions {
  faultsEnabled: boolean;
  /** The plate-recognition engine (workers); the API checks plates without it. */
  recognition?: PlateRecognition;
  /** The payment gateway (workers: vendors/payment-gateway.ts); without it, payment calls fail retryably. */
  paymentGateway?: PaymentGateway;
  /** Currency sent to the payment gateway (default TRY); amounts are whole units. */
  paymentCurrency?: string;
  /** Catalog read-cache TTL (default 5 s). */
  catalogCacheTtlMs?: number;
  /** Outbox delivery: globalWebhookUrl (NOTIFY_WEBHOOK_URL), backoff, lease, batch size. */
  notifications?: NotificationOptions;
  /** Where webhooks may point (default: https to public addresses only). */
  outbound?: OutboundPolicy;
  /** Reservation limits and cancellation policy (default DEFAULT_RESERVATION_POLICY). */
  reservationPolicy?: ReservationPolicy;
}

/** Wires every domain service to one database. */
export function createDomains(db: Db, options: DomainOptions) {
  const faults = createFaultSwitches(db, options.faultsEnabled);
  return {
    faults,
    fences: createStepFences({ db }),
    parking: createParkingService({ db, faults }),
    plates: createPlateService({ db, faults, ...(options.recognition && { recognition: options.recognition }) }),
    ...createCommerceDomains(db, faults, options),
  };
}

/** Catalog, inventory, orders, payments, users, notifications and reservations. */
function createCommerceDomains(db: Db, faults: ReturnType<typeof createFaultSwitches>, options: DomainOptions) {
  const catalog = createCatalogService({ db }, { ...(options.catalogCacheTtlMs !== undefined && { cacheTtlMs: options.catalogCacheTtlMs }) });
  const users = createUserService({ db, ...(options.outbound && { webhookPolicy: options.outbound }) });
  const notifications = createNotificationService({ db, faults, subscribers: users }, options.notifications ?? {});
  return {
    catalog,
    users,
    notifications,
    inventory: createInventoryService({ db, faults, catalog }),
    orders: createOrderService({ db, faults, catalog, outbox: notifications }),
    payments: createPaymentService(
      { db, faults, gateway: options.paymentGateway ?? UNCONFIGURED_PAYMENT_GATEWAY },
      { ...(options.paymentCurrency && { currency: options.paymentCurrency }) },
    ),
    reservations: createReservationService({ db, faults, ...(options.reservationPolicy && { policy: options.reservationPolicy }) }),
  };
}

export type Domains = ReturnType<typeof createDomains>;
export { BusinessRejection, NotFoundError } from './errors';
