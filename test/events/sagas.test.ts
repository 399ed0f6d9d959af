import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { armFault, createLot, disarmFault, registerDriver, uniquePlate, useStack, waitForSaga } from '../support/stack';
import { about, eventsOf, headOf, typesOf } from './event-reader';

const stack = useStack({ waitMs: 30_000 });

const shopper = () => {
  const id = `user-${randomUUID()}`;
  return { id, headers: { authorization: `Bearer ${stack.token('user', id, `${id}@test.example`)}` } };
};

async function product(price: number, onHand: number) {
  const created = await stack.app.inject({ method: 'POST', url: '/products', payload: { sku: `EV-${randomUUID().slice(0, 8)}`, name: 'Evented', price } });
  const id = created.json().id as string;
  await stack.app.inject({ method: 'PUT', url: `/products/${id}/stock`, payload: { onHand } });
  return id;
}

const ends = (type: string) => (events: { type: string }[]) => events.some((e) => e.type === type);

describe('domain events of the sagas', () => {
  it('an order that goes through: created, stock reserved, payment authorized and captured, stock committed, confirmed', async () => {
    const after = await headOf(stack);
    const user = shopper();
    const res = await stack.app.inject({ method: 'POST', url: '/orders', headers: user.headers, payload: { items: [{ productId: await product(50, 5), quantity: 2 }] } });
    expect(res.json()).toMatchObject({ status: 'CONFIRMED' });
    const { orderId } = res.json();
    const events = await eventsOf(stack, after, about(orderId), ends('order.confirmed'));
    expect(typesOf(events)).toEqual(['order.created', 'stock.reserved', 'payment.authorized', 'payment.captured', 'stock.committed', 'order.confirmed']);
    for (const event of events) {
      expect(event).toMatchObject({ specversion: '1.0', source: 'urn:saga-platform', datacontenttype: 'application/json' });
      expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number.isNaN(Date.parse(event.time))).toBe(false);
    }
    expect(events[0]).toMatchObject({ subject: `order/${orderId}`, data: { orderId, userId: user.id, status: 'PENDING', total: 100 } });
    expect(events[3]!.data).toMatchObject({ reference: orderId, amount: 100, status: 'CAPTURED', previousStatus: 'AUTHORIZED' });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('an order rolled back (payment declined over 10000): created, stock reserved, payment declined, stock released, cancelled', async () => {
    const after = await headOf(stack);
    const user = shopper();
    const res = await stack.app.inject({ method: 'POST', url: '/orders', headers: user.headers, payload: { items: [{ productId: await product(10_001, 2), quantity: 1 }] } });
    expect(res.json()).toMatchObject({ status: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
    const { orderId } = res.json();
    const events = await eventsOf(stack, after, about(orderId), (e) => ends('order.cancelled')(e) && ends('stock.released')(e));
    // The order saga compensates in parallel: the release and the cancellation come in either order, after the decline.
    expect(typesOf(events).slice(0, 3)).toEqual(['order.created', 'stock.reserved', 'payment.declined']);
    expect(typesOf(events).slice(3).sort()).toEqual(['order.cancelled', 'stock.released']);
    expect(events.find((e) => e.type === 'order.cancelled')!.data).toMatchObject({ orderId, status: 'CANCELLED', previousStatus: 'PENDING', reason: 'PAYMENT_DECLINED' });
  });

  it('a car entering and leaving: vehicle.entered, then vehicle.exited with the stay', async () => {
    const after = await headOf(stack);
    const lot = await createLot(stack);
    const plate = uniquePlate();
    expect((await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate } })).statusCode).toBe(201);
    expect((await stack.app.inject({ method: 'POST', url: '/vehicle-exits', payload: { lotId: lot.id, plate } })).statusCode).toBe(201);
    const events = await eventsOf(stack, after, about(plate), ends('vehicle.exited'));
    expect(typesOf(events)).toEqual(['vehicle.entered', 'vehicle.exited']);
    expect(events.map((e) => e.subject)).toEqual([`vehicle/${plate}`, `vehicle/${plate}`]);
    expect(events[1]!.data).toMatchObject({ plate, lotId: lot.id, durationSeconds: expect.any(Number) });
  });

  it('an entry rolled back after its record was made: vehicle.entered, then vehicle.entry_cancelled', async () => {
    const after = await headOf(stack);
    const lot = await createLot(stack, { requireGateConfirmation: true, gateTimeoutSeconds: 300 });
    const plate = uniquePlate();
    const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate } });
    const { sagaId } = res.json();
    await eventsOf(stack, after, about(plate), ends('vehicle.entered'));
    const signal = await stack.app.inject({ method: 'POST', url: `/sagas/${sagaId}/signals/compensate`, payload: { reason: 'driver turned back' } });
    expect(signal.statusCode).toBeLessThan(300);
    const events = await eventsOf(stack, after, about(plate), ends('vehicle.entry_cancelled'));
    expect(typesOf(events)).toEqual(['vehicle.entered', 'vehicle.entry_cancelled']);
  });

  it('a step that is retried after its write writes its event once (the id derives from the step key and the type)', async () => {
    const after = await headOf(stack);
    const lot = await createLot(stack);
    const plate = uniquePlate();
    const requestId = `ev-retry-${randomUUID()}`;
    // The entry record is written, then the step fails once: its retry finds the record and writes nothing new.
    await armFault(stack, 'plates.createEntryRecord.after', requestId, 1);
    try {
      const res = await stack.app.inject({ method: 'POST', url: '/vehicle-entries', payload: { lotId: lot.id, plate, requestId } });
      expect(res.statusCode).toBe(201);
    } finally {
      await disarmFault(stack, 'plates.createEntryRecord.after', requestId);
    }
    const events = await eventsOf(stack, after, about(plate), ends('vehicle.entered'));
    expect(typesOf(events)).toEqual(['vehicle.entered']);
    expect(await stack.db.domainEvent.count({ where: { subject: `vehicle/${plate}` } })).toBe(1);
  });

  it('a reservation paid for, then cancelled by its driver: created, payment authorized and captured, completed, then refunded and cancelled', async () => {
    const { headers, plate } = await registerDriver(stack);
    const lot = await createLot(stack, { capacity: 3, tariffPerHour: 500 });
    const after = await headOf(stack);
    const at = Date.now() + 120 * 60_000;
    const res = await stack.app.inject({
      method: 'POST',
      url: '/reservations',
      headers,
      payload: { lotId: lot.id, plate, startsAt: new Date(at).toISOString(), endsAt: new Date(at + 60 * 60_000).toISOString() },
    });
    expect(res.json()).toMatchObject({ status: 'COMPLETED' });
    const { reservationId, sagaId } = res.json();
    await eventsOf(stack, after, about(reservationId), ends('reservation.completed'));
    const cancel = await stack.app.inject({ method: 'POST', url: `/reservations/${reservationId}/cancel`, headers, payload: { reason: 'plans changed' } });
    expect(cancel.statusCode).toBe(202);
    await waitForSaga(stack, sagaId, (s) => s.status === 'COMPENSATED');
    // Rolled back in reverse: the refund first, the reservation (the first step) last.
    const events = await eventsOf(stack, after, about(reservationId), ends('reservation.cancelled'));
    expect(typesOf(events)).toEqual([
      'reservation.created',
      'payment.authorized',
      'payment.captured',
      'reservation.completed',
      'payment.refunded',
      'reservation.cancelled',
    ]);
    expect(events.at(-1)!.data).toMatchObject({ reservationId, status: 'CANCELLED', previousStatus: 'COMPLETED' });
  });
});
