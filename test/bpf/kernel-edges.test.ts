// cBPF traces against what real kernels answered: traces/NAME.trace with its recordings
// traces/recorded/NAME.<profile>.jsonl, made with
// `ringfence oracle --kernel P test/bpf/traces/NAME.trace`. cbpf-edges holds hand-picked
// checker and VM edge cases; cbpf-random (make-random.ts) 700 random registrations and
// 160 random programs run on requests. The simulator, which loads and runs programs
// with model/bpf, must give the kernel's records exactly.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProfile } from '../../model/profile/profiles.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { parseRecords } from '../../sim/trace/records.ts';
import { diffRecords, formatNormal } from '../../sim/trace/compare.ts';
import { replayTrace } from '../../sim/trace/replay.ts';
import { replayOptions } from '../../sim/trace/kernel-link.ts';

const DIR = join(import.meta.dirname, 'traces');
const recorded = existsSync(join(DIR, 'recorded'))
  ? readdirSync(join(DIR, 'recorded')).filter((n) => /^[a-z0-9-]+\.[^.]+(\.[^.]+)?\.jsonl$/.test(n)).sort()
  : [];

describe('cBPF traces against recorded kernels', () => {
  it('have recordings for every pinned kernel', () => {
    for (const name of ['cbpf-edges', 'cbpf-random']) {
      for (const p of ['7.0', '7.1', '7.2', '7.3']) expect(recorded).toContain(`${name}.${p}.jsonl`);
    }
  });

  // The four kernels gave byte-identical records for cbpf-random (no profile difference
  // touches NOP filters), so the simulator replays it under the oldest and the newest
  // profile only, to keep npm test quick; the middle recordings must still match.
  const SKIP = new Set(['cbpf-random.7.1.jsonl', 'cbpf-random.7.2.jsonl']);
  it.each([...SKIP])('%s equals the 7.0 and 7.3 recordings', (name) => {
    const text = readFileSync(join(DIR, 'recorded', name), 'utf8');
    expect(text).toBe(readFileSync(join(DIR, 'recorded', 'cbpf-random.7.0.jsonl'), 'utf8'));
    expect(text).toBe(readFileSync(join(DIR, 'recorded', 'cbpf-random.7.3.jsonl'), 'utf8'));
  });

  it.each(recorded.filter((n) => !SKIP.has(n)))('%s', async (name) => {
    const m = /^([a-z0-9-]+)\.(.+)\.jsonl$/.exec(name)!;
    const TRACE = join(DIR, `${m[1]}.trace`);
    const profileName = m[2];
    const profile = getProfile(profileName);
    expect(profile, profileName).toBeDefined();
    const parsed = parseTraceFile(TRACE, readFileSync(TRACE, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error[0].message);
    const kernel = parseRecords(name, readFileSync(join(DIR, 'recorded', name), 'utf8'));
    if (!kernel.ok) throw new Error(kernel.error.message);
    const opts = replayOptions({ invariants: false });
    const meant = parsed.value.traces.filter((t) => t.kernels === null || (t.kernels as string[]).includes(profileName));
    expect(new Set(kernel.value.map((r) => r.trace))).toEqual(new Set(meant.map((t) => t.name)));
    const sim = meant.flatMap((t) => replayTrace(t, profile!, opts).records);
    const diffs = diffRecords(sim, kernel.value).map(
      (d) => `${d.trace} #${d.i} (${d.fields.join(', ')})\n  simulator: ${d.a ? formatNormal(d.a) : '-'}\n  kernel:    ${d.b ? formatNormal(d.b) : '-'}`,
    );
    expect(diffs).toEqual([]);
  });
});
