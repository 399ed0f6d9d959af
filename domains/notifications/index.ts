export {
  createNotificationService,
  type DeliveryReport,
  type NotificationEvent,
  type NotificationMessage,
  type NotificationOptions,
  type NotificationService,
  type OutboxEntryView,
  type SendNotification,
  type SubscriberDirectory,
} from './notification-service';
