// The fuzzer's runs must not leak into each other: the same commands give the same
// records on a kernel and reference that just ran other sequences as on fresh ones.
// (They did not: the kernel's runtime queues kept a closed ring's entries across a
// restore, so `ringfence fuzz` reported disagreements that did not reproduce.)

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROFILE_NAMES, getProfile } from '../../model/profile/profiles.ts';
import { loadFacade } from '../../sim/explore/facade.ts';
import { commandArbs, freshSides, makeSides, recordCommands, type Recorded } from '../../sim/explore/fuzz.ts';

const parts = await loadFacade();
if (!parts.ok) throw new Error(parts.error.message);

const text = (r: Recorded) => JSON.stringify({ steps: r.steps, obs: r.obs, failure: r.failure?.message }, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

describe('fuzz runs are independent', () => {
  for (const name of PROFILE_NAMES) {
    it(`same commands, fresh and after other runs, give the same records (${name})`, () => {
      const p = getProfile(name)!;
      const shared = makeSides(parts.value, p);
      const cmds = fc.commands(commandArbs(shared), { maxCommands: 30, size: 'max' });
      fc.assert(fc.property(fc.array(cmds, { minLength: 1, maxLength: 4 }), cmds, (before, cs) => {
        for (const b of before) recordCommands(shared, b);
        const after = recordCommands(shared, cs);
        const fresh = recordCommands(freshSides(shared), cs);
        expect(text(after)).toBe(text(fresh));
      }), { numRuns: 150, seed: 20261204 });
    });
  }
});
