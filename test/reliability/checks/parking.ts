import { bySaga, rolledBack, sagaOfKey, undid, type Checks } from './context';

/**
 * Vehicle entries: at most one stay and one entry record per saga, under its step keys. A
 * completed entry has both, as it answered, the stay still ACTIVE or ended by an exit that
 * went through; a rolled-back one left its stay released (by the rollback, not by an exit), its space
 * let go, and its record cancelled.
 */
export function checkEntries(c: Checks): void {
  const stays = bySaga(c.records.stays, (s) => s.key);
  const records = bySaga(c.records.entryRecords, (r) => r.key);
  for (const id of c.ofType('entry')) {
    const state = c.state(id);
    if (!state) continue;
    const mine = stays.get(id) ?? [];
    const recs = records.get(id) ?? [];
    if (mine.length > 1) c.v(`entry ${id} opened ${mine.length} stays: ${mine.map((s) => s.key).join(', ')}`);
    if (recs.length > 1) c.v(`entry ${id} made ${recs.length} entry records: ${recs.map((r) => r.key).join(', ')}`);
    const step = state.steps.some((s) => s.name === 'occupyReservedSpace') ? 'occupyReservedSpace' : 'allocateSpace';
    if (state.status === 'COMPLETED') {
      const result = state.result as { stayId?: string; entryRecordId?: string; spaceId?: string } | undefined;
      const [stay] = mine;
      const [record] = recs;
      if (mine.length !== 1 || recs.length !== 1 || !stay || !record) {
        c.v(`completed entry ${id} has ${mine.length} stays and ${recs.length} entry records`);
        continue;
      }
      if (result?.stayId !== stay.id || result.spaceId !== record.spaceId) c.v(`entry ${id} answered stay ${result?.stayId} on ${result?.spaceId}, the database has ${stay.id} on ${record.spaceId}`);
      if (result?.entryRecordId !== record.id) c.v(`entry ${id} answered record ${result?.entryRecordId}, the database has ${record.id}`);
      if (record.status !== 'ACTIVE') c.v(`completed entry ${id} has a ${record.status} entry record`);
      if (stay.status !== 'ACTIVE') {
        const exit = stay.releaseKey ? c.state(sagaOfKey(stay.releaseKey)) : undefined;
        if (!exit || rolledBack(exit)) c.v(`completed entry ${id}: its stay is ${stay.status}, but no exit of the car released it (release ${stay.releaseKey})`);
      }
    } else if (undid(state, step) || undid(state, 'createEntryRecord')) {
      for (const s of mine) {
        if (undid(state, step) && (s.status !== 'RELEASED' || s.releaseKey !== null)) c.v(`${state.status} entry ${id} left its stay ${s.status} (release ${s.releaseKey})`);
        const space = c.records.spaces.find((sp) => sp.holderKey === s.key);
        if (space) c.v(`${state.status} entry ${id} still holds space ${space.number} (${space.status})`);
      }
      if (undid(state, 'createEntryRecord')) for (const r of recs) if (r.status !== 'CANCELLED') c.v(`${state.status} entry ${id} left its entry record ${r.status}`);
    }
  }
}

/**
 * Vehicle exits: at most one released stay and one exit record per saga. A completed exit
 * released the stay it answered (its space let go) and made its record; a rolled-back exit
 * left the car inside (no stay released under its key) and cancelled its record.
 */
export function checkExits(c: Checks): void {
  const released = bySaga(c.records.stays, (s) => s.releaseKey);
  const records = bySaga(c.records.exitRecords, (r) => r.key);
  for (const id of c.ofType('exit')) {
    const state = c.state(id);
    if (!state) continue;
    const mine = released.get(id) ?? [];
    const recs = records.get(id) ?? [];
    if (mine.length > 1) c.v(`exit ${id} released ${mine.length} stays: ${mine.map((s) => s.key).join(', ')}`);
    if (recs.length > 1) c.v(`exit ${id} made ${recs.length} exit records`);
    if (state.status === 'COMPLETED') {
      const result = state.result as { stayId?: string; exitRecordId?: string; durationSeconds?: number } | undefined;
      const [stay] = mine;
      const [record] = recs;
      if (mine.length !== 1 || !stay || stay.status !== 'RELEASED') c.v(`completed exit ${id} released ${JSON.stringify(mine.map((s) => s.status))}`);
      else if (result?.stayId !== stay.id) c.v(`exit ${id} answered stay ${result?.stayId}, released ${stay.id}`);
      if (stay && c.records.spaces.some((sp) => sp.holderKey === stay.key)) c.v(`completed exit ${id}: the released stay ${stay.key} still holds its space`);
      if (recs.length !== 1 || record?.status !== 'ACTIVE' || record.id !== result?.exitRecordId || record.durationSeconds !== result.durationSeconds) {
        c.v(`completed exit ${id} has exit records ${JSON.stringify(recs)} (answered ${result?.exitRecordId}, ${result?.durationSeconds} s)`);
      }
    } else if (rolledBack(state)) {
      if (undid(state, 'releaseSpace')) for (const s of mine) c.v(`${state.status} exit ${id} still holds the release of stay ${s.id} (${s.status})`);
      if (undid(state, 'createExitRecord')) for (const r of recs) if (r.status !== 'CANCELLED') c.v(`${state.status} exit ${id} left its exit record ${r.status}`);
    }
  }
}

/**
 * Per lot: every stay, record and held space belongs to a step of a saga the checks know;
 * OCCUPIED spaces = ACTIVE stays, each on its own space; a RESERVED space is held for a paid
 * (COMPLETED) reservation of that plate (heldFor; no car on it); a FREE space names nobody.
 */
export function checkLots(c: Checks): void {
  const { spaces, stays, entryRecords, exitRecords, reservations } = c.records;
  for (const s of stays) {
    if (!c.isStepKey(s.key, 'entry', 'allocateSpace', 'occupyReservedSpace')) c.v(`stay ${s.id} of ${s.plate} was opened under ${s.key}, no entry saga's step`);
    if (s.releaseKey && !c.isStepKey(s.releaseKey, 'exit', 'releaseSpace')) c.v(`stay ${s.id} was released under ${s.releaseKey}, no exit saga's step`);
  }
  for (const r of entryRecords) if (!c.isStepKey(r.key, 'entry', 'createEntryRecord')) c.v(`entry record ${r.id} was made under ${r.key}, no entry saga's step`);
  for (const r of exitRecords) if (!c.isStepKey(r.key, 'exit', 'createExitRecord')) c.v(`exit record ${r.id} was made under ${r.key}, no exit saga's step`);

  for (const lotId of c.input.scope.lotIds) {
    const lotSpaces = spaces.filter((s) => s.lotId === lotId);
    const active = stays.filter((s) => s.lotId === lotId && s.status === 'ACTIVE');
    const occupied = lotSpaces.filter((s) => s.status === 'OCCUPIED');
    if (occupied.length !== active.length) c.v(`lot ${lotId}: ${occupied.length} spaces OCCUPIED but ${active.length} stays ACTIVE`);
    for (const stay of active) {
      const space = lotSpaces.find((s) => s.holderKey === stay.key);
      if (!space || space.status !== 'OCCUPIED' || space.plate !== stay.plate || space.id !== stay.spaceId) {
        c.v(`lot ${lotId}: active stay ${stay.key} of ${stay.plate} is not on its space (${JSON.stringify(space)})`);
      }
    }
    for (const space of occupied) {
      if (!active.some((s) => s.key === space.holderKey)) c.v(`lot ${lotId}: space ${space.number} is OCCUPIED by ${space.holderKey}, which has no active stay`);
    }
    for (const space of lotSpaces.filter((s) => s.status === 'RESERVED')) {
      const booking = reservations.find((r) => r.holdKey !== null && r.holdKey === space.holderKey);
      if (booking?.status !== 'COMPLETED') c.v(`lot ${lotId}: space ${space.number} is held for a reservation that is ${booking?.status ?? 'missing'} (${space.holderKey})`);
      else if (booking.plate !== space.heldFor || space.plate !== null || booking.spaceId !== space.id) c.v(`lot ${lotId}: space ${space.number} is held for ${space.heldFor} (car ${space.plate}), its reservation says ${booking.plate} on ${booking.spaceId}`);
    }
    for (const space of lotSpaces.filter((s) => s.status === 'FREE')) {
      if (space.plate !== null || space.heldFor !== null || space.holderKey !== null) c.v(`lot ${lotId}: free space ${space.number} still names ${space.plate ?? space.heldFor} / ${space.holderKey}`);
    }
  }
}
