// The model against the real 7.3.4 kernel on probes of what the sources left open
// (test/syscall/oracle/probes.trace; records made by `ringfence oracle --kernel 7.3`).
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

it('probes: the simulator gives the 7.3.4 kernel\'s records', () => {
  const file = join(DIR, 'probes.trace');
  const parsed = parseTraceFile(file, readFileSync(file, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error[0].message);
  const kernel = parseRecords('probes.7.3.jsonl', readFileSync(join(DIR, 'probes.7.3.jsonl'), 'utf8'));
  if (!kernel.ok) throw new Error(kernel.error.message);
  const p = profile('7.3');
  const sim = parsed.value.traces.flatMap((t) => replayTrace(t, p, { createKernel: (pp) => createKernel(pp, { invariants: true }) }).records);
  const diffs = diffRecords(sim, kernel.value).map((d) => `${d.trace} #${d.i}\n  simulator: ${d.a ? formatNormal(d.a) : '-'}\n  kernel:    ${d.b ? formatNormal(d.b) : '-'}`);
  expect(diffs).toEqual([]);
  expect(kernel.value.length).toBeGreaterThan(100);
});
