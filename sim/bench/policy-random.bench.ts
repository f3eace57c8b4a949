// Random policies proven equal to their intent on every target profile: 10,000 by
// default (RINGFENCE_POLICIES=N for another count). Then random policies compiled
// --onto random holders (the filters of another random policy, and random programs),
// proven to mean intent AND what the holder had: 2,000 by default
// (RINGFENCE_ONTO_POLICIES=N; 0 skips them). Opt-in (`ringfence bench --only
// policy-random`): it takes minutes.

import fc from 'fast-check';
import { loadavg } from 'node:os';
import type { BenchSuite } from './harness.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import { compilePolicy } from '../../model/policy/compile.ts';
import { prove } from '../../model/policy/prove.ts';
import { compileOnto, proveOnto, slotsAfter, type Existing } from '../../model/policy/onto.ts';
import { heldRegistrations, policyArb } from '../testing/policies.ts';

const count = (name: string, dflt: number) => {
  const n = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000) throw new Error(`${name} wants an integer from 0 to 10000000, got '${process.env[name]}'`);
  return n;
};

export const suite: BenchSuite = {
  name: 'policy-random',
  optIn: true,
  run(b) {
    const n = count('RINGFENCE_POLICIES', 10000);
    b.line(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the start`);
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
    b.figure('random policies: mean compile + proof', ms / Math.max(n, 1), 'ms');
    const m = count('RINGFENCE_ONTO_POLICIES', 2000);
    if (m === 0) return;
    const cases = fc.sample(policyArb.chain((p) => fc.tuple(fc.constant(p), heldRegistrations(p.kernels))), { numRuns: m, seed: 15 });
    const t1 = performance.now();
    let ontoProven = 0, ontoFailed = 0, ontoErrors = 0, emitted = 0, nothing = 0;
    for (const [p, regs] of cases) {
      const existing: Existing[] = p.kernels.map((name) => {
        const profile = getProfile(name)!;
        const fresh: Existing = { profile, slots: [], legacy: { sqe: null, registerOps: null }, legacyRefused: 'it carries filters' };
        return { ...fresh, slots: slotsAfter(fresh, regs.map((r) => ({ ...r, insns: [...r.insns], pdu: 0, name: '', what: '' }))).map((s) => s.chain) };
      });
      const oc = compileOnto(p, existing);
      if (!oc.ok) { ontoErrors++; continue; }
      emitted += oc.value.filters.length;
      if (!oc.value.filters.length) nothing++;
      if (proveOnto(oc.value).ok) ontoProven++; else ontoFailed++;
    }
    const ms1 = performance.now() - t1;
    b.figure('--onto: random policies onto random holders proven = intent AND existing', ontoProven, 'policies', `of ${m}; ${ontoFailed} differ; ${ontoErrors} refused; ${nothing} needed nothing; ${(emitted / Math.max(m, 1)).toFixed(1)} filters emitted on average`);
    b.figure('--onto: mean compile + proof', ms1 / Math.max(m, 1), 'ms');
    b.line(`  load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
  },
};
