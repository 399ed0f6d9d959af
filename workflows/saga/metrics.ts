import { metricMeter } from '@temporalio/workflow';

/**
 * The saga kit's metrics, tagged with the saga type. They go out through the worker's
 * Prometheus endpoint (with the SDK's own metrics) and are not emitted again on replay.
 * Durations are workflow time in milliseconds.
 */
export function createSagaMetrics(sagaType: string) {
  const meter = metricMeter.withTags({ saga_type: sagaType });
  return {
    started: meter.createCounter('saga_started', '1', 'Sagas started'),
    /** outcome: completed, rejected, compensated, failed. */
    outcomes: meter.createCounter('saga_outcomes', '1', 'Sagas ended, by outcome'),
    /** kind: STEP (a step waits for an operator) or COMPENSATION. */
    needsAttention: meter.createCounter('saga_needs_attention', '1', 'Times a saga parked in NEEDS_ATTENTION'),
    duration: meter.createHistogram('saga_duration', 'int', 'ms', 'Saga duration from start to end, by outcome'),
    /** step, outcome: completed, rejected, failed. */
    stepDuration: meter.createHistogram('saga_step_duration', 'int', 'ms', 'Step duration including its retries'),
    stepAttempts: meter.createHistogram('saga_step_attempts', 'int', '1', 'Activity attempts a step took'),
    /** step, outcome: compensated, failed, skipped. */
    compensations: meter.createCounter('saga_compensations', '1', 'Compensations run, by step and outcome'),
    /** kind: e.g. EXIT_NOT_SEEN (see Saga.recordAnomaly). */
    anomalies: meter.createCounter('saga_anomalies', '1', 'Anomalies a saga met and handled, by kind'),
    /** action, accepted. */
    operatorActions: meter.createCounter('saga_operator_actions', '1', 'Operator and device actions on sagas'),
  };
}

export type SagaMetrics = ReturnType<typeof createSagaMetrics>;
