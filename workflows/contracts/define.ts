import { defineSignal, type SignalDefinition } from '@temporalio/workflow';
import type { z } from 'zod';
import type { BusinessKeys } from './search-attributes';

/** A signal a saga takes besides the operator signals, with its payload's schema. */
export interface SagaSignal<P extends z.ZodType = z.ZodType> {
  payload: P;
  /**
   * Who sends it: `device` (a gate device, or an operator, through the API), or `workflow`
   * (another saga only; the API does not offer it).
   */
  from: 'device' | 'workflow';
  /** Who or what the saga waits for while it takes the signal (shown in the Web UI, e.g. "the car at the gate"). */
  awaits: string;
}

/** One saga's facts, written once: the API, the saga client, the workflow and the tests read them here. */
export interface SagaContract<
  T extends string = string,
  I extends z.ZodObject = z.ZodObject,
  R extends z.ZodObject = z.ZodObject,
  S extends Record<string, SagaSignal> = Record<string, SagaSignal>,
  P extends string = string,
> {
  /** The SagaType search attribute and the state's `type`. */
  type: T;
  /** What people call it ("Vehicle entry"): the first part of its summary in the Web UI. */
  title: string;
  /** What it does, in a sentence: the first line of its details in the Web UI. */
  description: string;
  /** The input's facts that tell one saga from another (plate, lot, ...), for its summary in the Web UI. */
  facts: (input: z.infer<I>) => string[];
  /** The workflow function's name (workflows/index.ts exports it under this name). */
  workflowType: string;
  /** Saga ids are `<idPrefix>-<requestId>`. */
  idPrefix: P;
  /** The workflow's input: the route validates with it, the workflow's input type is inferred from it. */
  input: I;
  /** The workflow's business result (the `result` of its state). */
  result: R;
  /** The business keys known from the input, set at the start (search attributes and the state's keys). */
  keys: (input: z.infer<I>) => BusinessKeys;
  /** Signals this saga takes besides the operator signals. */
  signals: S;
  /** For sagas that own a record: its id's key in the saga's keys, its field in replies, and its status after a rollback. */
  record?: { key: keyof BusinessKeys; field: string; cancelledStatus: string };
}

export const defineSaga = <const T extends string, I extends z.ZodObject, R extends z.ZodObject, S extends Record<string, SagaSignal>, const P extends string>(
  contract: SagaContract<T, I, R, S, P>,
) => contract;

export type SagaInput<C extends SagaContract> = z.infer<C['input']>;
export type SagaResult<C extends SagaContract> = z.infer<C['result']>;

/** The Temporal definition of one of a contract's signals, named and typed by the contract. */
export function sagaSignal<C extends SagaContract, N extends keyof C['signals'] & string>(
  _contract: C,
  name: N,
): SignalDefinition<[z.infer<C['signals'][N]['payload']>]> {
  return defineSignal<[z.infer<C['signals'][N]['payload']>]>(name);
}
