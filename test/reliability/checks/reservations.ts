import { bySaga, undid, type Checks } from './context';

/**
 * Reservations: at most one record and one held space per saga, under its step keys. A saga
 * that completed left the record as its result says (COMPLETED while it waits, then USED or
 * EXPIRED); a car that used it took its space. A COMPLETED record still holds its space
 * (RESERVED, held for its plate, under its hold key); a rolled-back saga cancelled its record and let
 * the space go. Once every saga has ended, no record is PENDING or COMPLETED any more.
 */
export function checkReservations(c: Checks): void {
  const { reservations, spaces, stays } = c.records;
  const records = bySaga(reservations, (r) => r.key);
  const holds = bySaga(spaces, (s) => s.holderKey);
  for (const id of c.ofType('reservation')) {
    const state = c.state(id);
    if (!state) continue;
    const mine = records.get(id) ?? [];
    const held = holds.get(id) ?? [];
    if (mine.length > 1) c.v(`reservation ${id} made ${mine.length} reservation records: ${mine.map((r) => r.key).join(', ')}`);
    if (held.length > 1) c.v(`reservation ${id} holds ${held.length} spaces: ${held.map((s) => s.number).join(', ')}`);
    const [record] = mine;
    if (state.status === 'COMPLETED') {
      const result = state.result as { reservationId?: string; spaceId?: string; status?: string } | undefined;
      const closed = c.input.sagas.get(id)?.workflowStatus !== 'RUNNING';
      if (!record || record.id !== result?.reservationId || record.spaceId !== result.spaceId) {
        c.v(`completed reservation saga ${id} answered ${result?.reservationId} on ${result?.spaceId}, the database has ${record?.id} on ${record?.spaceId}`);
      } else if (closed ? record.status !== result.status : !['COMPLETED', 'USED', 'EXPIRED'].includes(record.status)) {
        c.v(`completed reservation saga ${id} (${closed ? `ended ${result.status}` : 'waiting'}) left the reservation ${record.status}`);
      } else if (record.status === 'USED' && !stays.some((s) => s.key.endsWith('/occupyReservedSpace') && s.plate === record.plate && s.lotId === record.lotId)) {
        c.v(`reservation ${id} is USED, but no car of ${record.plate} took a reserved space in lot ${record.lotId}`);
      }
    } else if (undid(state, 'createReservation') || undid(state, 'holdSpace')) {
      if (record && undid(state, 'createReservation') && record.status !== 'CANCELLED') c.v(`${state.status} reservation saga ${id} left the reservation ${record.status}`);
      if (undid(state, 'holdSpace')) for (const s of held) if (s.status === 'RESERVED') c.v(`${state.status} reservation ${id} still holds space ${s.number}`);
    }
  }

  for (const r of reservations) {
    if (!c.isStepKey(r.key, 'reservation', 'createReservation')) c.v(`reservation ${r.id} was made under ${r.key}, no reservation saga's step`);
    if (r.status === 'COMPLETED') {
      const space = spaces.find((s) => s.id === r.spaceId);
      if (!space || space.status !== 'RESERVED' || space.holderKey !== r.holdKey || space.heldFor !== r.plate) {
        c.v(`COMPLETED reservation ${r.key} lost its held space ${r.spaceId} (now ${space?.status} for ${space?.heldFor ?? space?.plate} under ${space?.holderKey}, its hold is ${r.holdKey})`);
      }
    }
    if (c.allEnded && (r.status === 'PENDING' || r.status === 'COMPLETED')) c.v(`reservation ${r.key} is still ${r.status} after every saga ended`);
  }
}
