// Every counterexample the fuzzer prints must fail again when replayed. A fault is
// planted in the kernel side through the fuzzer's test hook (7.3 without fix
// 50b617ba: the source of a clone is not marked COW), the fuzzer must find it, and
// the trace it prints, cut at the failing step, must fail on the faulty model and
// pass on the real one.

import { describe, expect, it } from 'vitest';
import { getProfile } from '../../model/profile/profiles.ts';
import { loadFacade } from '../../sim/explore/facade.ts';
import { fuzzOnce, makeSides, replayCounterexample, type Sides } from '../../sim/explore/fuzz.ts';
import type { Subject } from '../../sim/explore/subject.ts';
import type { FacadeState } from '../../sim/explore/facade.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { replayPassed, replayTrace } from '../../sim/trace/replay.ts';
import { replayOptions } from '../../sim/trace/kernel-link.ts';

const parts = await loadFacade();
if (!parts.ok) throw new Error(parts.error.message);
const p73 = getProfile('7.3')!;

describe('fuzz counterexamples', () => {
  it('finds a planted COW bug and prints a trace that fails on replay, cut at the failing step', () => {
    const sides = makeSides(parts.value, p73, { kernelProfile: { cloneMarksSourceCow: false } });
    const r = fuzzOnce(sides, p73, { numRuns: 3000, maxCommands: 40, seed: 7 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe('replays');
    const parsed = parseTraceFile('ce.trace', r.trace);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const trace = parsed.value.traces[0];
    // Cut at the failing step: the message counts the steps run, the last is the failing one.
    const n = Number(/after (\d+) commands/.exec(r.error)?.[1]);
    expect(trace.commands.length).toBe(n);
    // Replayed on the faulty kernel model it fails, at its last command.
    const faulty = replayTrace(trace, sides.kernelProfile, replayOptions({ invariants: true }));
    expect(replayPassed(faulty)).toBe(false);
    expect(faulty.failure?.command.i ?? faulty.violation?.command.i).toBe(n - 1);
    // On the real 7.3 model the trace passes: it is about the planted fault only.
    expect(replayPassed(replayTrace(trace, p73, replayOptions({ invariants: true })))).toBe(true);
  });

  it('the run issue 11 reported (7.3, seed 1: a false failure at run 524) is clean', () => {
    const r = fuzzOnce(makeSides(parts.value, p73), p73, { numRuns: 600, maxCommands: 40, seed: 1 });
    if (!r.ok) expect.fail(`${r.status}: ${r.error}\n${r.trace}`);
    expect(r.runs).toBe(600);
  });

  it('never prints a failure that does not reproduce on fresh sides', () => {
    // A kernel side that goes wrong after a number of runs, as a leak between runs would.
    const sides: Sides = makeSides(parts.value, p73);
    const real = sides.kernel;
    let inits = 0;
    const leaky: Subject<FacadeState> = {
      ...real,
      init: () => { inits++; return real.init(); },
      apply: (s, step) => {
        const r = real.apply(s, step);
        return inits > 40 && r.obs.c === 'sqe' ? { s: r.s, obs: { ...r.obs, queued: (r.obs.queued ?? 0) + 1 } } : r;
      },
    };
    const r = fuzzOnce({ ...sides, kernel: leaky }, p73, { numRuns: 500, maxCommands: 40, seed: 1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.status).toBe('not-reproduced');
    expect(r.trace).toBe('');
  });

  it('the replay check tells a failing trace from a passing one', () => {
    const sides = makeSides(parts.value, p73);
    const ok = 'trace t kernels=7.3\n  ring r0 => 0\n  sqe r0 op=NOP ud=1 => 1\nend\n';
    expect(replayCounterexample(sides, ok).passed).toBe(true);
    expect(replayCounterexample(sides, ok.replace('=> 1\n', '=> 2\n')).passed).toBe(false);
  });
});
