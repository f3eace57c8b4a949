// Random policies proven equal to their intent on every target profile: 10,000 by
// default (RINGFENCE_POLICIES=N for another count). Opt-in (`ringfence bench --only
// policy-random`): it takes minutes.

import fc from 'fast-check';
import type { BenchSuite } from './harness.ts';
import { compilePolicy } from '../../model/policy/compile.ts';
import { prove } from '../../model/policy/prove.ts';
import { policyArb } from '../testing/policies.ts';

export const suite: BenchSuite = {
  name: 'policy-random',
  optIn: true,
  run(b) {
    const n = Number(process.env.RINGFENCE_POLICIES ?? 10000);
    const policies = fc.sample(policyArb, { numRuns: n, seed: 14 });
    const t0 = performance.now();
    let proven = 0, failed = 0, compileErrors = 0;
    for (const p of policies) {
      const c = compilePolicy(p);
      if (!c.ok) { compileErrors++; continue; }
      if (prove(c.value).ok) proven++; else failed++;
    }
    const ms = performance.now() - t0;
    b.figure('random policies proven equal on every target', proven, 'policies', `of ${n}; ${failed} differ; ${compileErrors} did not compile`);
    b.figure('random policies: mean compile + proof', ms / n, 'ms');
  },
};
