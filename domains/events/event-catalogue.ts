/**
 * The domain events the platform publishes (README: "Domain events"). A type is
 * "<entity>.<what happened>"; the subject is the entity's id ("order/<id>", "payment/<key>"...).
 */
export const EVENT_TYPES = [
  'reservation.created',
  'reservation.completed',
  'reservation.cancelled',
  'reservation.used',
  'reservation.expired',
  'order.created',
  'order.confirmed',
  'order.cancelled',
  'stock.reserved',
  'stock.released',
  'stock.committed',
  'payment.authorized',
  'payment.captured',
  'payment.declined',
  'payment.voided',
  'payment.refunded',
  'vehicle.entered',
  'vehicle.exited',
  'vehicle.entry_cancelled',
  'vehicle.exit_cancelled',
  'saga.needs_attention',
  'saga.resolved',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (value: string): value is EventType => (EVENT_TYPES as readonly string[]).includes(value);

/** The CloudEvents `source` of every event the platform writes. */
export const EVENT_SOURCE = 'urn:saga-platform';
