// The regression suite: every bundled scenario replays under every profile it is
// meant for, on the kernel model with invariant checks on, and every expectation
// holds.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getProfile } from '../../model/profile/profiles.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { findTraceFiles } from '../../sim/trace/load.ts';
import { replayTrace } from '../../sim/trace/replay.ts';
import { replayOptions } from '../../sim/trace/kernel-link.ts';
import { profilesFor } from '../../sim/trace/profiles.ts';
import { describeOutcome, verdictOf } from '../../sim/report/outcome.ts';

const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), '../../scenarios');
const files = findTraceFiles(SCENARIOS, SCENARIOS);

describe('bundled scenarios', () => {
  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s parses and passes under every profile it is meant for', (f) => {
    const path = join(SCENARIOS, f);
    const source = readFileSync(path, 'utf8');
    const parsed = parseTraceFile(relative(process.cwd(), path), source);
    if (!parsed.ok) throw new Error(parsed.error.map((e) => `${e.loc?.line}:${e.loc?.col} ${e.message}`).join('\n'));
    const opts = replayOptions({ invariants: true });
    const failures: string[] = [];
    let runs = 0;
    for (const t of parsed.value.traces) {
      for (const p of profilesFor(t)) {
        const r = replayTrace(t, getProfile(p)!, opts);
        runs++;
        if (verdictOf(r) !== 'pass') failures.push(describeOutcome(r, source));
      }
    }
    expect(runs).toBeGreaterThan(0);
    expect(failures, failures.join('\n\n')).toEqual([]);
  });
});
