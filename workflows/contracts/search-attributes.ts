import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes every saga sets, so that the Web UI and the API list sagas by type, status and business key. */
export const SagaTypeKey = defineSearchAttributeKey('SagaType', SearchAttributeType.KEYWORD);
export const SagaStatusKey = defineSearchAttributeKey('SagaStatus', SearchAttributeType.KEYWORD);
export const PlateKey = defineSearchAttributeKey('Plate', SearchAttributeType.KEYWORD);
export const LotIdKey = defineSearchAttributeKey('LotId', SearchAttributeType.KEYWORD);
export const UserIdKey = defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD);
export const OrderIdKey = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const ReservationIdKey = defineSearchAttributeKey('ReservationId', SearchAttributeType.KEYWORD);

/** Business keys a saga may carry, by search attribute name. */
export const BUSINESS_KEYS = {
  Plate: PlateKey,
  LotId: LotIdKey,
  UserId: UserIdKey,
  OrderId: OrderIdKey,
  ReservationId: ReservationIdKey,
} as const;
export type BusinessKeys = Partial<Record<keyof typeof BUSINESS_KEYS, string>>;

/** Every custom search attribute, for registering them with the server. */
export const SEARCH_ATTRIBUTE_KEYS = [SagaTypeKey, SagaStatusKey, ...Object.values(BUSINESS_KEYS)];
