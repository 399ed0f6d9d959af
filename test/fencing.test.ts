import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFencing, type Fencing } from '../activities/fencing';
import type { Db } from '../db/client';
import { createDomains, type Domains } from '../domains';
import { connectDb, rejectionOf, uid } from './domains/helpers';
import { uniquePlate } from './support/stack';

let db: Db;
let d: Domains;
beforeAll(async () => {
  db = await connectDb();
  d = createDomains(db, { faultsEnabled: false });
});
afterAll(async () => db?.$disconnect());

/**
 * The step fence (activities/fencing.ts) on the real database: a late attempt of a step that
 * writes after its saga's rollback leaves nothing behind, whether it reports or not. The
 * rollback is played as the saga's compensation plays it: fencing.undo in the middle of the
 * attempt, after its first look at the fence.
 */
describe('step fences', () => {
  let fencing: Fencing;
  beforeAll(() => {
    fencing = createFencing(d.fences);
  });

  async function allocationAfterItsRollback(report: 'answer' | 'lose the answer' | 'fail before the rollback') {
    const lot = await d.parking.createLot({ name: uid('fence-'), capacity: 2 });
    const key = `${uid('saga-')}/allocateSpace`;
    const input = { key, lotId: lot.id, plate: uniquePlate() };
    const rollBack = () => fencing.undo(key, () => d.parking.releaseAllocation(key));
    const outcome = await rejectionOf(
      fencing.forward(
        key,
        async () => {
          if (report !== 'fail before the rollback') await rollBack(); // the saga moved on while this attempt was late
          const allocation = await d.parking.allocateSpace(input); // commits
          if (report === 'answer') return allocation;
          throw new Error('connection reset after the commit'); // the write landed; its answer did not
        },
        () => d.parking.releaseAllocation(key),
      ),
    );
    const stay = await db.stay.findUniqueOrThrow({ where: { key } });
    const held = await db.space.count({ where: { holderKey: key } });
    return { outcome, stay, held };
  }

  it('a late write that reports undoes itself', async () => {
    const { outcome, stay, held } = await allocationAfterItsRollback('answer');
    expect(outcome).toMatchObject({ code: 'STEP_ROLLED_BACK' });
    expect(stay.status).toBe('RELEASED');
    expect(held).toBe(0);
  });

  it('a late write whose answer is lost after the commit undoes itself too', async () => {
    const { outcome, stay, held } = await allocationAfterItsRollback('lose the answer');
    expect(outcome).toMatchObject({ code: 'STEP_ROLLED_BACK' });
    expect(stay.status).toBe('RELEASED');
    expect(held).toBe(0);
  });

  it('an attempt that fails while no rollback has begun keeps its write and its error: the retry finds the write', async () => {
    const { outcome, stay, held } = await allocationAfterItsRollback('fail before the rollback');
    expect(outcome.message).toBe('connection reset after the commit');
    expect(stay.status).toBe('ACTIVE');
    expect(held).toBe(1);
  });
});

/**
 * Step answers (domains/fences): a read that steers a saga answers on a rerun of its step as it
 * did the first time, as the entry saga's reservation lookup and the reservation saga's plate
 * check use them.
 */
describe('step answers', () => {
  it('a plate blocked after its check passed: the rerun of that check passes, a new saga is refused', async () => {
    const plate = uniquePlate();
    const key = `${uid('saga-')}/checkPlate`;
    const check = () => d.plates.checkPlate(plate);
    expect(await d.answers.remember(key, check)).toMatchObject({ plate });
    await d.plates.blockPlate(plate, 'stolen');
    expect(await d.answers.remember(key, check)).toMatchObject({ plate });
    expect(await rejectionOf(d.answers.remember(`${uid('saga-')}/checkPlate`, check))).toMatchObject({ code: 'PLATE_BLOCKED' });
  });

  it('remembers "nothing found" too, and a refused read is not remembered', async () => {
    const key = `${uid('saga-')}/findReservation`;
    let found: { reservationId: string } | null = null;
    expect(await d.answers.remember(key, async () => found)).toBeNull();
    found = { reservationId: 'r-1' };
    expect(await d.answers.remember(key, async () => found)).toBeNull();

    const refusedOnce = `${uid('saga-')}/checkPlate`;
    await rejectionOf(d.answers.remember(refusedOnce, async () => Promise.reject(new Error('database away'))));
    expect(await d.answers.remember(refusedOnce, async () => 'second try')).toBe('second try');
  });

  it('two first runs at once agree on one answer', async () => {
    const key = `${uid('saga-')}/findReservation`;
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((value) => d.answers.remember(key, async () => value)));
    expect(new Set(answers).size).toBe(1);
  });
});
