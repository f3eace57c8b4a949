// The model against real kernels on probes of what the sources left open
// (test/syscall/oracle/*.trace; the records beside them were made by
// `ringfence oracle --kernel P FILE` on the pinned Debian kernels).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { parseRecords } from '../../sim/trace/records.ts';
import { diffRecords, formatNormal } from '../../sim/trace/compare.ts';
import { replayTrace } from '../../sim/trace/replay.ts';
import { createKernel } from '../../sim/syscall/kernel.ts';
import { profile } from './helpers.ts';

const DIR = join(import.meta.dirname, 'oracle');

it.each([
  ['probes.trace', '7.0', 'probes.7.0.jsonl'],
  ['probes.trace', '7.1', 'probes.7.1.jsonl'],
  ['probes.trace', '7.2', 'probes.7.2.jsonl'],
  ['probes.trace', '7.3', 'probes.7.3.jsonl'],
  ['probes-6.18.trace', '6.18', 'probes-6.18.6.18.jsonl'],
])('%s on %s: the simulator gives the kernel\'s records', (trace, prof, records) => {
  const file = join(DIR, trace);
  const parsed = parseTraceFile(file, readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error[0].message);
  const kernel = parseRecords(records, readFileSync(join(DIR, records), 'utf8'));
  if (!kernel.ok) throw new Error(kernel.error.message);
  const p = profile(prof);
  const sim = parsed.value.traces
    .filter((t) => t.kernels === null || (t.kernels as string[]).includes(prof))
    .flatMap((t) => replayTrace(t, p, { createKernel: (pp) => createKernel(pp, { invariants: true }) }).records);
  const diffs = diffRecords(sim, kernel.value).map((d) => `${d.trace} #${d.i}\n  simulator: ${d.a ? formatNormal(d.a) : '-'}\n  kernel:    ${d.b ? formatNormal(d.b) : '-'}`);
  expect(diffs).toEqual([]);
  expect(kernel.value.length).toBe(sim.length);
});
