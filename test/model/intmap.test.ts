// The persistent int map against a plain Map: same contents after any sequence of
// sets and deletes, and old versions never change.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IntMap } from '../../model/pmap/intmap.ts';

describe('IntMap', () => {
  it('behaves like a Map and keeps old versions intact', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('set' as const), key: fc.oneof(fc.nat(40), fc.nat(5000), fc.nat(2 ** 31)), v: fc.integer() }),
      fc.record({ k: fc.constant('del' as const), key: fc.oneof(fc.nat(40), fc.nat(5000)) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        let m = IntMap.empty<number>();
        const ref = new Map<number, number>();
        const history: [IntMap<number>, Map<number, number>][] = [];
        for (const o of ops) {
          if (o.k === 'set') { m = m.set(o.key, o.v); ref.set(o.key, o.v); }
          else { m = m.delete(o.key); ref.delete(o.key); }
          history.push([m, new Map(ref)]);
        }
        for (const [mm, rr] of history) {
          expect(mm.size).toBe(rr.size);
          expect(mm.toArray()).toEqual([...rr].sort((a, b) => a[0] - b[0]));
          for (const [k, v] of rr) expect(mm.get(k)).toBe(v);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rejects keys that are not u32', () => {
    expect(() => IntMap.empty<number>().set(-1, 1)).toThrow(RangeError);
    expect(IntMap.empty<number>().get(-1)).toBeUndefined();
  });
});
