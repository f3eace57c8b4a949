// The bounded fuzz stage of `npm test`: a couple of seconds of mutated inputs per
// entry point of the harness (sim/fuzz/), in this thread. The seed is random on
// each run and printed; set RINGFENCE_FUZZ_SEED to run the same inputs again. Every
// finding names the command that makes and runs its input again.

import { describe, expect, it } from 'vitest';
import { availableEntries, judge, makeInput, replayCommand, runInput } from '../../sim/fuzz/harness.ts';

const SECONDS_PER_ENTRY = 2;
const MAX_PER_ENTRY = 400;
const seed = process.env.RINGFENCE_FUZZ_SEED !== undefined ? Number(process.env.RINGFENCE_FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
const { entries, notices } = availableEntries();

describe(`fuzz stage (seed ${seed}; RINGFENCE_FUZZ_SEED=${seed} runs the same inputs)`, () => {
  for (const n of notices) it.skip(n, () => {});
  for (const e of entries) {
    it(`${e.name}: no exit 3, no uncaught exception, no unlocated error, no hang`, async () => {
      console.log(`fuzz stage ${e.name}: seed ${seed}`);
      const bad: string[] = [];
      const t0 = performance.now();
      let i = 0;
      for (; i < MAX_PER_ENTRY && performance.now() - t0 < SECONDS_PER_ENTRY * 1000; i++) {
        const input = makeInput(e, seed, i);
        const p = judge(input, await runInput(e, input));
        if (p) bad.push(`${e.name} #${i}: ${p.kind}: ${p.detail.split('\n')[0]}\n  again with: ${replayCommand(seed, e.name, i)} [--out FILE]`);
      }
      expect(i).toBeGreaterThan(0);
      expect(bad, bad.join('\n')).toEqual([]);
    }, 60_000);
  }
});
