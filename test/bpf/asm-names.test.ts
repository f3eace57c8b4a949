// The assembler's name tables find a name three ways: by hash in a string (the friendly
// parser), by hash in the fast scanner's bytes, and by the first word of a long name in
// those bytes without reading to its end. These properties hold the byte lookups to the
// string lookup, on names that share prefixes, hold dots, or are prefixes of each other.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NameTable, hashChars } from '../../model/bpf/asm/names.ts';

const nameChar = fc.constantFrom(...'AFINSOCK_ainsock.0123456'.split(''));
const name = fc.tuple(fc.constantFrom(...'AFSasx_'.split('')), fc.array(nameChar, { maxLength: 14 })).map(([c, cs]) => c + cs.join(''));
const isName = (c: string): boolean => /[A-Za-z0-9_.]/.test(c);

/** text's ASCII bytes, a newline and three spare bytes (the fast scanner's buffer), and a view of them. */
function bytesOf(text: string, spare: number): { b: Uint8Array; v: DataView } {
  const b = new Uint8Array(text.length + 4).fill(spare);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  b[text.length] = 10;
  return { b, v: new DataView(b.buffer) };
}

describe('name tables', () => {
  it('the byte lookups find exactly what the string lookup finds', () => {
    const table = fc.uniqueArray(name, { minLength: 1, maxLength: 12 });
    const sep = fc.constantFrom(' ', ',', '|', ']', ':', '\t', '');
    // a text of names from the table, their prefixes and extensions, and other names
    const text = (names: string[]) => fc.array(fc.tuple(fc.oneof(
      fc.constantFrom(...names),
      fc.tuple(fc.constantFrom(...names), fc.nat(20)).map(([n, k]) => n.slice(0, 1 + (k % n.length))),
      fc.tuple(fc.constantFrom(...names), name).map(([n, m]) => n + m.replace(/^[A-Za-z_]/, '1')),
      name,
    ), sep), { minLength: 1, maxLength: 8 }).map((ts) => ts.map(([t, s]) => t + s).join(''));
    fc.assert(fc.property(table.chain((names) => fc.tuple(fc.constant(names), text(names), fc.constantFrom(0, 0x41, 0xff))), ([names, t, spare]) => {
      const tab = new NameTable<number>();
      names.forEach((n, i) => tab.set(n, i));
      const { b, v } = bytesOf(t, spare);
      for (let s = 0; s < t.length; s++) {
        // every position where a name starts: a letter or '_' not preceded by a name character
        if (!/[A-Za-z_]/.test(t[s]) || (s > 0 && isName(t[s - 1]))) continue;
        let e = s + 1;
        while (e < t.length && isName(t[e])) e++;
        const h = hashChars(t, s, e, t.slice(s, e).includes('.'));
        const want = tab.findStr(t, s, e, h);
        expect(want).toBe(names.indexOf(t.slice(s, e)));
        expect(tab.findBytes(v, s, e, h)).toBe(want);
        const head = tab.findHead(b, v, s);
        expect(head).toBe(e - s >= 4 ? want : -1);
        if (head >= 0) expect(s + tab.length(head)).toBe(e);
      }
    }), { numRuns: 500 });
  });
});
