import { describe, expect, it } from 'vitest';
import * as workflows from '../workflows';
import {
  API_SIGNALS,
  DEVICE_SIGNALS,
  OPERATOR_SIGNALS,
  SAGAS,
  gatePassedSignal,
  parseStepKey,
  reservationContract,
  stepKey,
  vehicleArrivedSignal,
  vehicleEntryContract,
} from '../workflows/contracts';
import { describeApi } from '../client/generate';

describe('saga contracts', () => {
  it.each(Object.values(SAGAS))('$type names a workflow the worker registers, and a prefix of its own', (contract) => {
    expect(typeof (workflows as Record<string, unknown>)[contract.workflowType]).toBe('function');
    expect(Object.values(SAGAS).filter((other) => other.idPrefix === contract.idPrefix)).toHaveLength(1);
  });

  it('builds step keys that parse back, and refuses what is not one', () => {
    const key = stepKey('reservation-u1-7', 'createReservation');
    expect(key).toBe('reservation-u1-7/createReservation');
    expect(parseStepKey(key)).toEqual({ sagaId: 'reservation-u1-7', step: 'createReservation' });
    for (const bad of ['no-slash', '/step', 'saga/']) expect(parseStepKey(bad)).toBeUndefined();
  });

  it('derives the business keys from the input', () => {
    expect(vehicleEntryContract.keys({ lotId: 'lot-1', plate: '34ABC123' })).toEqual({ LotId: 'lot-1' });
    const booking = { userId: 'u1', lotId: 'lot-1', plate: '34ABC123', amount: 500, startsAt: '2030-01-01T10:00:00Z', endsAt: '2030-01-01T12:00:00Z' };
    expect(reservationContract.keys(booking)).toEqual({ LotId: 'lot-1', UserId: 'u1' });
  });

  it('offers the API the operator signals and the device ones, not those between sagas', () => {
    expect(API_SIGNALS).toEqual([...OPERATOR_SIGNALS, gatePassedSignal.name]);
    expect(DEVICE_SIGNALS).toEqual([gatePassedSignal.name]);
    expect(API_SIGNALS).not.toContain(vehicleArrivedSignal.name);
  });

  it("is what the API validates with: each saga route's body is its saga's input (less the caller, plus requestId; a reservation's amount is the lot's tariff)", async () => {
    const document = (await describeApi()) as unknown as {
      paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: { properties: object } } } } } }>;
    };
    const bodyOf = (path: string) => Object.keys(document.paths[path]!.post.requestBody.content['application/json'].schema.properties).sort();
    const inputOf = (type: keyof typeof SAGAS, ...computed: string[]) =>
      Object.keys(SAGAS[type].input.shape).filter((field) => field !== 'userId' && !computed.includes(field));
    expect(bodyOf('/vehicle-entries')).toEqual([...inputOf('VehicleEntry'), 'requestId'].sort());
    expect(bodyOf('/vehicle-exits')).toEqual([...inputOf('VehicleExit'), 'requestId'].sort());
    expect(bodyOf('/reservations')).toEqual([...inputOf('Reservation', 'amount'), 'requestId'].sort());
    expect(bodyOf('/orders')).toEqual([...inputOf('Order'), 'requestId'].sort());
  });
});
