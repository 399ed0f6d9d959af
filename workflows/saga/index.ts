export { Saga, type SagaOptions, type StepDefinition } from './saga';
export * from './signals';
export * from './state';
export * from './search-attributes';
