// The cBPF edge cases of traces/cbpf-edges.trace against what real kernels answered
// (traces/recorded/cbpf-edges.<profile>.jsonl, made with
// `ringfence oracle --kernel P test/bpf/traces/cbpf-edges.trace`): the simulator, which
// loads and runs programs with model/bpf, must give the kernel's records exactly.
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
const TRACE = join(DIR, 'cbpf-edges.trace');
const recorded = existsSync(join(DIR, 'recorded'))
  ? readdirSync(join(DIR, 'recorded')).filter((n) => /^cbpf-edges\..+\.jsonl$/.test(n)).sort()
  : [];

describe('cBPF edge cases against recorded kernels', () => {
  it('have recordings', () => {
    expect(recorded.length).toBeGreaterThan(0);
  });

  it.each(recorded)('%s', async (name) => {
    const profileName = name.replace(/^cbpf-edges\.|\.jsonl$/g, '');
    const profile = getProfile(profileName);
    expect(profile, profileName).toBeDefined();
    const parsed = parseTraceFile(TRACE, readFileSync(TRACE, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error[0].message);
    const kernel = parseRecords(name, readFileSync(join(DIR, 'recorded', name), 'utf8'));
    if (!kernel.ok) throw new Error(kernel.error.message);
    const opts = await replayOptions({ invariants: false });
    if (!opts.ok) throw new Error(opts.error.message);
    const meant = parsed.value.traces.filter((t) => t.kernels === null || (t.kernels as string[]).includes(profileName));
    expect(new Set(kernel.value.map((r) => r.trace))).toEqual(new Set(meant.map((t) => t.name)));
    const sim = meant.flatMap((t) => replayTrace(t, profile!, opts.value).records);
    const diffs = diffRecords(sim, kernel.value).map(
      (d) => `${d.trace} #${d.i} (${d.fields.join(', ')})\n  simulator: ${d.a ? formatNormal(d.a) : '-'}\n  kernel:    ${d.b ? formatNormal(d.b) : '-'}`,
    );
    expect(diffs).toEqual([]);
  });
});
