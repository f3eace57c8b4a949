// The URL fragment: a view survives encoding and decoding, edited text included
// (any Unicode), and a fragment's unknown values are dropped rather than trusted.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PROFILE_NAMES } from '../../model/profile/profiles.ts';
import { decodeFragment, encodeFragment, type ViewState } from '../../sim/web/fragment.ts';

describe('the playground URL fragment', () => {
  it('round-trips every view', () => {
    const profile = fc.constantFrom(...PROFILE_NAMES);
    const view = fc.record({
      file: fc.option(fc.constantFrom('cow.trace', 'findings/01-ring-before-restriction.trace'), { nil: null }),
      source: fc.string({ unit: 'binary', maxLength: 200 }),
      trace: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
      profile, diff: fc.oneof(fc.constant('' as const), profile), step: fc.nat(9_999_999),
    });
    fc.assert(fc.property(view, (v) => {
      const want: ViewState = { ...v, source: v.file ? null : v.source };
      const got = decodeFragment(encodeFragment(want));
      expect(got).not.toBeNull();
      expect(got!.file ?? null).toBe(want.file);
      if (!want.file) expect(got!.source).toBe(want.source);
      expect(got!.trace).toBe(want.trace);
      expect(got!.profile).toBe(want.profile);
      expect(got!.diff ?? '').toBe(want.diff);
      expect(got!.step).toBe(want.step);
    }), { numRuns: 100 });
  });

  it('drops what it does not know', () => {
    expect(decodeFragment('')).toBeNull();
    expect(decodeFragment('k=7.3')).toBeNull();
    const v = decodeFragment('f=cow.trace&k=9.9&d=x&s=-1&t=a');
    expect(v).toEqual({ file: 'cow.trace', source: null, trace: 'a' });
    expect(decodeFragment('src=%%%')).toBeNull();
  });
});
