import { readFileSync } from 'node:fs';
import { cpuTable, halfPeakTable, markdownTable, markdownTableOf, processCpuTable, type Step } from './report';

/**
 * Prints a benchmark result's tables in Markdown, as the README shows them: CPU per saga beside
 * the fair baselines, latency at half peak, CPU per process, every step.
 *
 * @example
 * node --import tsx bench/markdown.ts bench/results/<time>.json
 */
for (const file of process.argv.slice(2)) {
  const { steps, label, startedAt, finishedAt } = JSON.parse(readFileSync(file, 'utf8')) as { steps: Step[]; label?: string; startedAt: string; finishedAt: string };
  console.log(`<!-- ${file}: ${label ?? ''} ${startedAt} – ${finishedAt} -->\n`);
  console.log(`${cpuTable(steps, markdownTableOf)}\n`);
  console.log(`${halfPeakTable(steps, markdownTableOf)}\n`);
  console.log(`${processCpuTable(steps, markdownTableOf)}\n`);
  console.log(`${markdownTable(steps)}\n`);
}
