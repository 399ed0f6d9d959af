/**
 * Draws the chart of a results file again (e.g. after a change to the chart):
 *
 *   node --import tsx bench/chart.ts bench/results/<time>.json [out.svg]   # default out: bench/results/latest.svg
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { chartSvg } from './report';
import type { BenchResult } from './run';

const [file, out = 'bench/results/latest.svg'] = process.argv.slice(2);
if (!file) throw new Error('usage: bench/chart.ts <results.json> [out.svg]');
const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
const m = result.machine;
const title = `${result.label} — ${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${result.options.durationS} s per step, ${result.startedAt.slice(0, 16)}Z`;
writeFileSync(out, chartSvg(result.steps, title));
console.log(`» ${out}`);
