// The key set that keeps keys in interned pieces (sim/explore/compact-keys.ts) must
// answer exactly as a set of whole keys: the same key is found again, and a key that
// differs anywhere (a byte, or only its length) is new. The independent statement
// of the rule is a JavaScript Set of the keys' byte strings with their first index.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyBuf } from '../../model/world/key.ts';
import { CompactKeySet, PIECE_BYTES } from '../../sim/explore/compact-keys.ts';

function load(buf: KeyBuf, bytes: number[]): void {
  buf.setBytes(Uint8Array.from(bytes), 0, bytes.length);
}

describe('CompactKeySet', () => {
  it('answers as a set of whole keys, on keys that share most of their pieces', () => {
    // Few byte values and lengths around the piece size, so keys share pieces and
    // differ in one byte or in length alone.
    const key = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 0, maxLength: 3 * PIECE_BYTES + 3 });
    fc.assert(fc.property(fc.array(key, { minLength: 1, maxLength: 300 }), (keys) => {
      const set = new CompactKeySet();
      const first = new Map<string, number>();
      const buf = new KeyBuf();
      for (const k of keys) {
        load(buf, k);
        const r = set.addKey(buf);
        const text = k.join('.');
        const had = first.get(text);
        if (had === undefined) {
          expect(r).toBe(first.size);
          first.set(text, r);
        } else {
          expect(r).toBe(-1 - had);
        }
      }
      expect(set.size).toBe(first.size);
    }), { numRuns: 300 });
  });

  it('tells apart keys that differ only in the last byte of a piece or in trailing zero bytes', () => {
    const set = new CompactKeySet();
    const buf = new KeyBuf();
    const base = Array.from({ length: 2 * PIECE_BYTES }, (_, i) => i % 7);
    const variants = [base, [...base.slice(0, PIECE_BYTES - 1), 99, ...base.slice(PIECE_BYTES)], [...base, 0], [...base, 0, 0], base.slice(0, -1), []];
    variants.forEach((v, i) => { load(buf, v); expect(set.addKey(buf)).toBe(i); });
    variants.forEach((v, i) => { load(buf, v); expect(set.addKey(buf)).toBe(-1 - i); });
    // The shared first piece is stored once.
    expect(set.pieceCount).toBeLessThan(2 * variants.length);
  });
});
