import type { Db } from '../db/client';
import type { OutboundPolicy } from '../shared/outbound-url';
import { createFaultSwitches } from './faults/fault-switch';
import { createStepAnswers, createStepFences } from './fences';
import { createParkingService } from './parking';
import { createPlateService, type PlateRecognition } from './plates';
import { createCatalogService } from './catalog';
import { createEventLog, createSagaEventService, createSubscriptionService } from './events';
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
  const commerce = createCommerceDomains(db, faults, options);
  return {
    faults,
    fences: createStepFences({ db }),
    answers: createStepAnswers({ db }),
    parking: createParkingService({ db, faults }),
    plates: createPlateService({ db, faults, events: commerce.events, ...(options.recognition && { recognition: options.recognition }) }),
    ...commerce,
  };
}

/** Catalog, inventory, orders, payments, users, notifications and reservations. */
function createCommerceDomains(db: Db, faults: ReturnType<typeof createFaultSwitches>, options: DomainOptions) {
  const catalog = createCatalogService({ db }, { ...(options.catalogCacheTtlMs !== undefined && { cacheTtlMs: options.catalogCacheTtlMs }) });
  const users = createUserService({ db, ...(options.outbound && { webhookPolicy: options.outbound }) });
  const subscriptions = createSubscriptionService({ db, ...(options.outbound && { policy: options.outbound }) });
  const notifications = createNotificationService({ db, faults, subscribers: users, endpoints: subscriptions }, options.notifications ?? {});
  // The sequencer hands each numbered event to the subscriptions of its type, in its own transaction.
  const events = createEventLog({ db }, { onSequenced: (tx, numbered) => subscriptions.fanOut(tx, numbered, notifications.stageDeliveries) });
  return {
    catalog,
    users,
    notifications,
    events,
    subscriptions,
    sagaEvents: createSagaEventService({ db, faults, events }),
    inventory: createInventoryService({ db, faults, catalog, events }),
    orders: createOrderService({ db, faults, catalog, outbox: notifications, events }),
    payments: createPaymentService(
      { db, faults, gateway: options.paymentGateway ?? UNCONFIGURED_PAYMENT_GATEWAY, events },
      { ...(options.paymentCurrency && { currency: options.paymentCurrency }) },
    ),
    reservations: createReservationService({ db, faults, events, ...(options.reservationPolicy && { policy: options.reservationPolicy }) }),
  };
}

export type Domains = ReturnType<typeof createDomains>;
export { BusinessRejection, NotFoundError } from './errors';
