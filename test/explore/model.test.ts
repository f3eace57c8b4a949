// Model-based property: random call sequences give the same records on the
// simulated kernel and on the independent reference model, and the kernel's
// invariants hold after every command. A failure prints the shrunk sequence as a
// v1 trace.

import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES, getProfile } from '../../model/profile/profiles.ts';
import { loadFacade } from '../../sim/explore/facade.ts';
import { fuzzOnce, makeSides } from '../../sim/explore/fuzz.ts';

const parts = await loadFacade();

describe('kernel model against the reference model', () => {
  for (const name of PROFILE_NAMES) {
    it(`agrees on random sequences (${name})`, () => {
      if (!parts.ok) throw new Error(parts.error.message);
      const p = getProfile(name)!;
      const r = fuzzOnce(makeSides(parts.value, p), p, { numRuns: 300, maxCommands: 30, seed: 20261122 });
      if (!r.ok) expect.fail(`${r.error}\n${r.trace}`);
      expect(r.runs).toBe(300);
    });
  }
});
