export { EVENT_SOURCE, EVENT_TYPES, isEventType, type EventType } from './event-catalogue';
export { cloudEventOf, createEventLog, eventId, type CloudEvent, type EventLog, type EventClient, type EventWriter, type NewDomainEvent, type OnSequenced } from './event-log';
export {
  MAX_SUBSCRIPTIONS,
  createSubscriptionService,
  type EventDelivery,
  type StageDeliveries,
  type SubscriptionService,
  type SubscriptionView,
} from './subscriptions';
export { attentionKey, createSagaEventService, sagaSubject, type SagaAttention, type SagaEventService, type SagaResolution } from './saga-events';
