/**
 * The sagas' contracts: one module per saga, plus what they all share. Free of the saga kit,
 * so that the API imports them without it.
 */
import { orderContract } from './order';
import { reservationContract } from './reservation';
import { vehicleEntryContract } from './vehicle-entry';
import { vehicleExitContract } from './vehicle-exit';
import { OPERATOR_SIGNALS } from './saga';

export * from './define';
export * from './describe';
export * from './saga';
export * from './search-attributes';
export { vehicleEntryContract, gatePassedSignal } from './vehicle-entry';
export { vehicleExitContract } from './vehicle-exit';
export {
  reservationContract,
  vehicleArrivedSignal,
  reservationChange,
  changeReservationUpdate,
  type VehicleArrival,
  type ReservationChange,
} from './reservation';
export { orderContract } from './order';

/** Every saga's contract by its type. */
export const SAGAS = {
  [vehicleEntryContract.type]: vehicleEntryContract,
  [vehicleExitContract.type]: vehicleExitContract,
  [reservationContract.type]: reservationContract,
  [orderContract.type]: orderContract,
} as const;
export type SagaType = keyof typeof SAGAS;
export type AnySagaContract = (typeof SAGAS)[SagaType];
export const SAGA_TYPES = Object.keys(SAGAS) as [SagaType, ...SagaType[]];

type DeviceSignals<C> = C extends { signals: infer S } ? { [N in keyof S]: S[N] extends { from: 'device' } ? N : never }[keyof S] : never;
/** Signals the API sends by name: the operator signals and the sagas' own that a device or operator sends. */
export type ApiSignal = (typeof OPERATOR_SIGNALS)[number] | DeviceSignals<AnySagaContract>;
export const API_SIGNALS = [
  ...OPERATOR_SIGNALS,
  ...Object.values(SAGAS).flatMap((saga) =>
    Object.entries(saga.signals as Record<string, { from: string }>)
      .filter(([, signal]) => signal.from === 'device')
      .map(([name]) => name),
  ),
] as [ApiSignal, ...ApiSignal[]];
/** Signals a gate device may send (any other is an operator's). */
export const DEVICE_SIGNALS: readonly string[] = API_SIGNALS.filter((name) => !(OPERATOR_SIGNALS as readonly string[]).includes(name));
