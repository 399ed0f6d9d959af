import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  armFault,
  connectStack,
  createLot,
  disarmFault,
  lotCounts,
  stepOf,
  uniquePlate,
  waitForSaga,
  type TestStack,
} from './support/stack';

let stack: TestStack;
let quick: TestStack;
beforeAll(async () => {
  stack = await connectStack();
  quick = await connectStack({ waitMs: 300 });
});
afterAll(async () => {
  await stack?.close();
  await quick?.close();
});

const move = (s: TestStack, url: string, lotId: string, plate: string, requestId?: string) =>
  s.app.inject({ method: 'POST', url, payload: { lotId, plate, ...(requestId && { requestId }) } });

describe('vehicle exit saga', () => {
  it('releases the space and records the stay with its duration', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const entry = (await move(stack, '/vehicle-entries', lot.id, plate)).json();
    const res = await move(stack, '/vehicle-exits', lot.id, plate.toLowerCase());
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ status: 'COMPLETED', plate, spaceId: entry.spaceId, stayId: entry.stayId });
    expect(body.durationSeconds).toBeGreaterThanOrEqual(0);
    const record = await stack.db.exitRecord.findUniqueOrThrow({ where: { id: body.exitRecordId } });
    const stay = await stack.db.stay.findUniqueOrThrow({ where: { id: entry.stayId } });
    expect(record.durationSeconds).toBe(Math.round((stay.releasedAt!.getTime() - stay.enteredAt.getTime()) / 1000));
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 5, occupied: 0 });
    // The car can come back in.
    expect((await move(stack, '/vehicle-entries', lot.id, plate)).statusCode).toBe(201);
  });

  it('rejects a plate that is not inside as NOT_INSIDE', async () => {
    const lot = await createLot(stack);
    const res = await move(stack, '/vehicle-exits', lot.id, uniquePlate());
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 'REJECTED', reason: 'NOT_INSIDE' });
  });

  it('undoes the release when the exit record cannot be created: the car is still inside', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const entry = (await move(stack, '/vehicle-entries', lot.id, plate)).json();
    const requestId = `exit-fails-${plate}`;
    await armFault(stack, 'plates.createExitRecord', requestId);
    const res = await move(stack, '/vehicle-exits', lot.id, plate, requestId);
    await disarmFault(stack, 'plates.createExitRecord', requestId);
    expect(res.statusCode).toBe(409);
    const body = res.json();
    expect(body).toMatchObject({ status: 'COMPENSATED', reason: 'STEP_FAILED' });
    const state = await waitForSaga(stack, body.sagaId, () => true);
    expect(state.steps.find((s) => s.name === 'createExitRecord')).toMatchObject({ status: 'FAILED', attempts: 4 });
    expect(state.steps.find((s) => s.name === 'releaseSpace')).toMatchObject({ compensation: 'COMPENSATED' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 1 });
    expect(await stack.db.stay.findUniqueOrThrow({ where: { id: entry.stayId } })).toMatchObject({ status: 'ACTIVE', releasedAt: null });
    expect(await stack.db.exitRecord.count({ where: { plate, status: 'ACTIVE' } })).toBe(0);
    // Still inside: a second entry is refused, a retried exit works.
    expect((await move(stack, '/vehicle-entries', lot.id, plate)).json()).toMatchObject({ reason: 'ALREADY_INSIDE' });
    expect((await move(stack, '/vehicle-exits', lot.id, plate)).statusCode).toBe(201);
  });

  it('keeps the space until the exit is on record: a car arriving meanwhile cannot take it from the car still inside', async () => {
    // A one-space lot; the exit record cannot be made and undoing the release fails too, so the
    // saga stops for an operator right between "stay ended" and "car back in its stay".
    const lot = await createLot(stack, { capacity: 1 });
    const plate = uniquePlate();
    const entry = (await move(stack, '/vehicle-entries', lot.id, plate)).json();
    const requestId = `exit-full-${plate}`;
    await armFault(stack, 'plates.createExitRecord', requestId);
    await armFault(stack, 'parking.undoRelease', requestId);
    const { sagaId } = (await move(quick, '/vehicle-exits', lot.id, plate, requestId)).json();
    const stuck = await waitForSaga(stack, sagaId, (s) => s.status === 'NEEDS_ATTENTION');
    expect(stuck.attention).toMatchObject([{ kind: 'COMPENSATION', step: 'releaseSpace' }]);
    expect(await stack.db.stay.findUniqueOrThrow({ where: { id: entry.stayId } })).toMatchObject({ status: 'RELEASED' });

    // The space is still the leaving car's: another car is turned away, not given it.
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 0, occupied: 1 });
    const other = await move(stack, '/vehicle-entries', lot.id, uniquePlate());
    expect(other.json()).toMatchObject({ status: 'REJECTED', reason: 'LOT_FULL' });

    await disarmFault(stack, 'parking.undoRelease', requestId);
    await disarmFault(stack, 'plates.createExitRecord', requestId);
    await stack.app.inject({ method: 'POST', url: `/sagas/${sagaId}/signals/retryCompensation`, payload: { reason: 'db back' } });
    await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');
    expect(await stack.db.stay.findUniqueOrThrow({ where: { id: entry.stayId } })).toMatchObject({ status: 'ACTIVE', spaceId: entry.spaceId });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 0, occupied: 1 });
    // Once the exit is on record the space is freed (the saga's last step).
    const exit = await move(stack, '/vehicle-exits', lot.id, plate);
    expect(exit.statusCode).toBe(201);
    expect(stepOf(await waitForSaga(stack, exit.json().sagaId, () => true), 'vacateSpace')).toMatchObject({ status: 'COMPLETED' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ free: 1, occupied: 0 });
  });

  it('asks an operator when the release keeps failing; retryStep then completes the exit', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    await move(stack, '/vehicle-entries', lot.id, plate);
    const requestId = `exit-stuck-${plate}`;
    await armFault(stack, 'parking.releaseVehicle', requestId);
    const { sagaId } = (await move(quick, '/vehicle-exits', lot.id, plate, requestId)).json();
    const stuck = await waitForSaga(stack, sagaId, (s) => s.status === 'NEEDS_ATTENTION');
    expect(stuck.attention).toMatchObject([{ kind: 'STEP', step: 'releaseSpace' }]);
    expect(stuck.awaiting).toEqual(expect.arrayContaining(['retryStep', 'compensate']));
    expect(stepOf(stuck, 'releaseSpace')).toMatchObject({ status: 'WAITING_OPERATOR', attempts: 4 });

    await disarmFault(stack, 'parking.releaseVehicle', requestId);
    const retry = await stack.app.inject({ method: 'POST', url: `/sagas/${sagaId}/signals/retryStep`, payload: { reason: 'db back' } });
    expect(retry.statusCode).toBe(202);
    const done = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPLETED');
    expect(stepOf(done, 'releaseSpace')).toMatchObject({ status: 'COMPLETED', attempts: 5 });
    expect(done.actions).toMatchObject([{ action: 'retryStep', reason: 'db back', accepted: true }]);
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 0 });
  });

  it('asks an operator when the release keeps failing; compensate then rolls back', async () => {
    const lot = await createLot(stack);
    const plate = uniquePlate();
    await move(stack, '/vehicle-entries', lot.id, plate);
    const requestId = `exit-abandon-${plate}`;
    await armFault(stack, 'parking.releaseVehicle', requestId);
    const { sagaId } = (await move(quick, '/vehicle-exits', lot.id, plate, requestId)).json();
    await waitForSaga(stack, sagaId, (s) => s.status === 'NEEDS_ATTENTION');
    const wrong = await stack.app.inject({ method: 'POST', url: `/sagas/${sagaId}/signals/retryCompensation`, payload: { reason: 'try again' } });
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json()).toMatchObject({ reason: 'SIGNAL_NOT_AWAITED' });
    await stack.app.inject({ method: 'POST', url: `/sagas/${sagaId}/signals/compensate`, payload: { reason: 'car reversed' } });
    const done = await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');
    await disarmFault(stack, 'parking.releaseVehicle', requestId);
    expect(done).toMatchObject({ reason: 'OPERATOR', error: 'car reversed' });
    expect(await lotCounts(stack, lot.id)).toMatchObject({ occupied: 1 });
  });
});
