// `explore --swarm`: three static slices merged print exactly what one run of all
// the walks prints, and each witness it prints fails again when replayed: the
// records of its last command differ between the two profiles.

import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getProfile } from '../../model/profile/profiles.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { replayTrace } from '../../sim/trace/replay.ts';
import { replayOptions } from '../../sim/trace/kernel-link.ts';
import { runCli } from './servers.ts';

const SWARM = ['explore', '--swarm', '--diff', '7.2,7.3', '--walks', '240', '--depth', '8', '--seed', '5'];

describe('explore --swarm', () => {
  it('merged slices print what one run prints, and its witnesses replay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-swarm-'));
    const one = await runCli(SWARM);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/[1-9]\d* kind\(s\) of finding/);
    for (const i of [0, 1, 2]) expect((await runCli([...SWARM, '--shard', `${i}/3`, '--out', dir])).code).toBe(0);
    const slices = readdirSync(dir).map((f) => join(dir, f));
    const merged = await runCli(['merge', ...slices]);
    expect(merged.out).toBe(one.out);
    const two = await runCli(['merge', ...slices.slice(0, 2)]);
    expect(two.code).toBe(2);
    // Every witness: the last command's records differ between 7.2 and 7.3.
    const texts = one.out.split(/^(?=# ringfence explore --swarm found this)/m).slice(1).map((t) => t.replace(/\n  \[depth[\s\S]*$/, '\n'));
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) {
      const p = parseTraceFile('w.trace', text);
      expect(p.ok).toBe(true);
      if (!p.ok) continue;
      const t = p.value.traces[0];
      const opts = replayOptions({ invariants: false });
      const a = replayTrace(t, getProfile('7.2')!, opts).records;
      const b = replayTrace(t, getProfile('7.3')!, opts).records;
      const last = (rs: typeof a) => JSON.stringify({ ...rs[rs.length - 1], trace: '' });
      expect(last(a)).not.toBe(last(b));
      expect(JSON.stringify(a.slice(0, -1))).toBe(JSON.stringify(b.slice(0, -1)));
    }
  }, 180_000);
});
