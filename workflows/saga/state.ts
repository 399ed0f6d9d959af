// The saga state's shape is a contract fact: see workflows/contracts/saga.ts.
export {
  FINAL_STATUSES,
  type Attention,
  type CompensationStatus,
  type OperatorAction,
  type SagaState,
  type SagaStatus,
  type StepState,
  type StepStatus,
} from '../contracts/saga';
