import type { SagaContract } from './define';
import { OPERATOR_SIGNALS } from './saga';

/** A saga's user metadata in Temporal: what the Web UI shows above its history. */
export interface SagaDescription {
  /** One line: its title and the facts of its input ("Vehicle entry · 34ABC123 · lot Central"). */
  staticSummary: string;
  /** Markdown: what it does and the signals it takes. */
  staticDetails: string;
}

/** Describes a saga from its contract and input, for its start. */
export function describeSaga<C extends SagaContract>(contract: C, input: Parameters<C['facts']>[0]): SagaDescription {
  const facts = (contract.facts as (input: unknown) => string[])(input).map(plain);
  const own = Object.entries(contract.signals).map(([name, signal]) => `\`${name}\` (${signal.awaits})`);
  const operators = OPERATOR_SIGNALS.map((name) => `\`${name}\``).join(', ');
  return {
    staticSummary: [contract.title, ...facts].join(' · '),
    staticDetails: [
      contract.description,
      '',
      own.length > 0 ? `Signals: ${own.join(', ')}; operators: ${operators}.` : `Signals (operators): ${operators}.`,
      'Its whole state: `GET /sagas/<sagaId>` or the `state` query.',
    ].join('\n'),
  };
}

/** Input on one line (a summary is one line; the Web UI shows it as given). */
function plain(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
