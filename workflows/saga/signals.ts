// Signals, the state query and the answer update are contract facts: see workflows/contracts/saga.ts.
export {
  OPERATOR_SIGNALS,
  answerUpdate,
  compensateSignal,
  retryCompensationSignal,
  retryStepSignal,
  skipCompensationSignal,
  stateQuery,
  type OperatorInput,
  type OperatorSignal,
} from '../contracts/saga';
