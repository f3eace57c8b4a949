// toTraceText writes what the v1 parser reads back: any sequence of the fuzzing
// alphabet round-trips to the same commands.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getProfile } from '../../model/profile/profiles.ts';
import { DEFAULT_UNIVERSE, Universe } from '../../sim/explore/universe.ts';
import { referenceSubject } from '../../sim/explore/reference/subject.ts';
import { toTraceText } from '../../sim/explore/print.ts';
import { traceSteps } from '../../sim/explore/reference/replay.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import type { Step } from '../../sim/explore/observe.ts';

const p = getProfile('7.3')!;
const u = new Universe({ ...DEFAULT_UNIVERSE, tasks: 3, rings: 2 }, p);
const subject = referenceSubject(p);

/** A random walk through the universe's moves. */
const walk = fc.array(fc.nat(10_000), { maxLength: 12 }).map((picks) => {
  let s = subject.init();
  const steps: Step[] = [];
  const obs = [];
  for (const x of picks) {
    const ms = u.moves(subject.shape(s));
    for (const st of ms[x % ms.length].steps) { const r = subject.apply(s, st); s = r.s; steps.push(st); obs.push(r.obs); }
  }
  return { steps, obs };
});

describe('toTraceText', () => {
  it('round-trips through the parser', () => {
    fc.assert(fc.property(walk, ({ steps, obs }) => {
      const text = toTraceText(steps, { name: 'walk', kernels: ['7.3'], expect: obs, header: ['a walk'], programText: (n) => u.programFor(n)?.asm });
      const parsed = parseTraceFile('walk.trace', text);
      if (!parsed.ok) expect.fail(`${parsed.error.map((e) => e.message).join('\n')}\n${text}`);
      const t = parsed.value.traces[0];
      expect(t.name).toBe('walk');
      const back = traceSteps(t);
      expect(back.map((s) => s.task)).toEqual(steps.map((s) => s.task));
      expect(back.map((s) => s.body)).toEqual(steps.map((s) => s.body));
    }), { numRuns: 200, seed: 3 });
  });
});
