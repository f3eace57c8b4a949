// The simulator against the recorded real-kernel outputs: for every recording in
// scenarios/recorded/<profile>/, replay the scenario file it was made from on the
// simulator under that profile and compare record by record (fd results as "fd",
// everything else exact, CQE order included). No qemu: `ringfence oracle --record`
// (npm run oracle) made the recordings on the real kernels.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProfile } from '../../model/profile/profiles.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { parseRecords } from '../../sim/trace/records.ts';
import { diffRecords, formatNormal } from '../../sim/trace/compare.ts';
import { replayTrace } from '../../sim/trace/replay.ts';
import { replayOptions } from '../../sim/trace/kernel-link.ts';

const SCENARIOS = join(import.meta.dirname, '../../scenarios');
const RECORDED = join(SCENARIOS, 'recorded');

function recordings(): { profile: string; jsonl: string; trace: string }[] {
  if (!existsSync(RECORDED)) return [];
  const out: { profile: string; jsonl: string; trace: string }[] = [];
  for (const profile of readdirSync(RECORDED).sort()) {
    const base = join(RECORDED, profile);
    const walk = (d: string) => {
      for (const n of readdirSync(d).sort()) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith('.jsonl')) out.push({ profile, jsonl: p, trace: join(SCENARIOS, relative(base, p).replace(/\.jsonl$/, '.trace')) });
      }
    };
    walk(base);
  }
  return out;
}

const all = recordings();

describe('recorded kernel outputs', () => {
  it('exist for every profile with a pinned kernel', () => {
    const pins = JSON.parse(readFileSync(join(import.meta.dirname, '../../sim/oracle/kernels/pins.json'), 'utf8')) as { kernels: Record<string, unknown> };
    const profiles = new Set(all.map((r) => r.profile));
    for (const p of Object.keys(pins.kernels)) expect(profiles, `no recordings for ${p}: run npm run oracle`).toContain(p);
  });

  it.each(all.map((r) => [`${r.profile} ${relative(SCENARIOS, r.trace)}`, r] as const))('%s: the simulator gives the kernel\'s records', async (_, r) => {
    const profile = getProfile(r.profile);
    expect(profile, `profile ${r.profile}`).toBeDefined();
    expect(existsSync(r.trace), `${r.jsonl} was recorded from ${r.trace}, which no longer exists: re-record with npm run oracle`).toBe(true);
    const parsed = parseTraceFile(r.trace, readFileSync(r.trace, 'utf8'));
    if (!parsed.ok) throw new Error(`${r.trace}: ${parsed.error[0].message}`);
    const kernel = parseRecords(r.jsonl, readFileSync(r.jsonl, 'utf8'));
    if (!kernel.ok) throw new Error(kernel.error.message);
    const opts = replayOptions({ invariants: false });
    const recordedTraces = new Set(kernel.value.map((x) => x.trace));
    const meant = parsed.value.traces.filter((t) => t.kernels === null || (t.kernels as string[]).includes(r.profile));
    expect(meant.map((t) => t.name).filter((n) => !recordedTraces.has(n)), `traces of ${r.trace} not recorded on ${r.profile}: run npm run oracle`).toEqual([]);
    const sim = parsed.value.traces
      .filter((t) => recordedTraces.has(t.name))
      .flatMap((t) => replayTrace(t, profile!, opts).records);
    const diffs = diffRecords(sim, kernel.value).map(
      (d) => `${d.trace} #${d.i} (${d.fields.join(', ')})\n  simulator: ${d.a ? formatNormal(d.a) : '-'}\n  kernel:    ${d.b ? formatNormal(d.b) : '-'}`,
    );
    expect(diffs, `the simulator differs from the ${r.profile} kernel`).toEqual([]);
  });
});
