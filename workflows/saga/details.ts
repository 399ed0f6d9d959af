import { SAGAS, OPERATOR_SIGNAL_MEANINGS, type OperatorSignal, type SagaState } from '../contracts';

/**
 * The workflow's current details, as the Web UI shows them on its page (Markdown): the saga's
 * status, the step in progress, what it awaits (the gate, an operator, the car's arrival) and
 * the signals that would move it, named and explained by the contracts.
 */
export function currentDetails(state: SagaState): string {
  const lines = [`**Status:** ${state.status}${state.reason ? ` (${state.reason}${state.error ? `: ${plain(state.error)}` : ''})` : ''}`];
  const step = [...state.steps].reverse().find((s) => s.status === 'RUNNING' || s.status === 'WAITING_OPERATOR');
  const undoing = state.steps.filter((s) => s.compensation === 'RUNNING' || s.compensation === 'FAILED');
  if (step) lines.push(`**Step in progress:** \`${step.name}\`${step.status === 'WAITING_OPERATOR' ? ' (out of retries)' : ''}`);
  for (const s of undoing) lines.push(`**Compensating:** \`${s.name}\`${s.compensation === 'FAILED' ? ' (out of retries)' : ''}`);

  const awaited = state.awaiting.filter((signal) => signal !== 'compensate' || state.attention.length > 0);
  const operator = state.attention.map((a) => `${a.kind === 'STEP' ? 'step' : 'compensation of'} \`${a.step}\` failed: ${plain(a.error)}`);
  const others = [...new Set(awaited.filter((signal) => !isOperatorSignal(signal)).map((signal) => sagaSignal(state.type, signal)))];
  if (operator.length > 0) lines.push(`**Awaits:** an operator (${operator.join('; ')})`);
  for (const who of others) lines.push(`**Awaits:** ${who}`);
  if (state.awaiting.length > 0) {
    const signals = state.awaiting.map((signal) => `\`${signal}\` (${isOperatorSignal(signal) ? OPERATOR_SIGNAL_MEANINGS[signal] : sagaSignal(state.type, signal)})`);
    lines.push(`**Signals that move it:** ${signals.join(', ')}`);
  }
  return lines.join('\n\n'); // one paragraph each: the UI renders Markdown
}

function isOperatorSignal(signal: string): signal is OperatorSignal {
  return signal in OPERATOR_SIGNAL_MEANINGS;
}

/** Who or what a saga's own signal comes from, as its contract says. */
function sagaSignal(type: string, signal: string): string {
  const contract = (SAGAS as Record<string, { signals: Record<string, { awaits: string }> }>)[type];
  return contract?.signals[signal]?.awaits ?? signal;
}

/** Error messages on one line, without Markdown code marks. */
function plain(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/`/g, "'");
}
