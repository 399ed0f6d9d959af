import { isDeepStrictEqual } from 'node:util';
import { typeOfSaga, type Checks } from './context';

/** The record a rolled-back saga's 409 names, by saga type. */
const RECORD_FIELD: Record<string, [field: string, key: string] | undefined> = { order: ['orderId', 'OrderId'], reservation: ['reservationId', 'ReservationId'] };

/**
 * What the clients were told is what happened. A 201 belongs to a saga that COMPLETED, and
 * carries its result (a reservation's `status` moves on after the answer: COMPLETED, then USED
 * or EXPIRED); a 409 to one that rolled back, with its status, reason and record. A 202 says
 * only "still running", which any saga was once. Every answer names its saga (the load
 * generator checks that as it goes).
 */
export function checkAnswers(c: Checks): void {
  for (const [sagaId, answers] of c.input.scope.answers) {
    const state = c.state(sagaId);
    for (const answer of answers.filter((a) => a.status === 201 || a.status === 409)) {
      const told = `${sagaId} was answered ${answer.status} ${JSON.stringify(answer.body)}`;
      if (!state) {
        c.v(`${told}, but the saga has no state`);
      } else if (answer.status === 201) {
        if (state.status !== 'COMPLETED') {
          c.v(`${told}, but it ended ${state.status} (${state.reason})`);
          continue;
        }
        const result = (state.result ?? {}) as Record<string, unknown>;
        const differs = Object.keys(result).filter((k) => !(k === 'status' && typeOfSaga(sagaId) === 'reservation') && !isDeepStrictEqual(answer.body[k], result[k]));
        if (differs.length > 0) c.v(`${told}, but its result says ${JSON.stringify(result)} (differs in ${differs.join(', ')})`);
      } else {
        const record = RECORD_FIELD[typeOfSaga(sagaId)];
        const status = answer.body.sagaStatus ?? answer.body.status;
        if (answer.body.reason === 'REQUEST_ID_REUSED') c.v(`${told}: the client sent the same body every time`);
        else if (state.status === 'COMPLETED' || status !== state.status || answer.body.reason !== state.reason) c.v(`${told}, but it ended ${state.status} (${state.reason})`);
        else if (record && state.keys[record[1]] !== undefined && answer.body[record[0]] !== state.keys[record[1]]) c.v(`${told}, but its ${record[1]} is ${state.keys[record[1]]}`);
      }
    }
  }
}
