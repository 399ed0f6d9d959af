export {
  createNotificationService,
  type DeliveryReport,
  type EndpointDirectory,
  type EventDeliveryRow,
  type NotificationEvent,
  type NotificationMessage,
  type NotificationOptions,
  type NotificationService,
  type OutboxEntryView,
  type SendNotification,
  type SubscriberDirectory,
} from './notification-service';
