// The workflow bundle of the local-activities prototype: the platform's workflows, with the
// vehicle entry and exit sagas' forward steps as local activities (bench/prototypes/local-activities/).
export { vehicleEntry, gatePassedSignal } from './vehicle-entry';
export { vehicleExit } from './vehicle-exit';
export { reservation, vehicleArrivedSignal } from '../../../workflows/reservation';
export { order } from '../../../workflows/order';
