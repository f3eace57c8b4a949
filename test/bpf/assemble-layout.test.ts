// The assembler's lexer and name tables, stated independently: laying the same program
// out differently (blanks, comments, blank lines, mnemonic case) gives the same
// instructions, and a name is an immediate exactly when the symbol table knows it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assemble, disassemble } from '../../model/bpf/index.ts';
import { ALL_SYMBOL_KINDS, SYMBOLS, lookupSymbol } from '../../model/abi/symbols.ts';
import { SKF_AD } from '../../model/bpf/isa.ts';
import { anyInsn, validProgram } from './gen.ts';

// A line's tokens, split by a regex (not the assembler's scanner): names (which may hold
// dots), numbers, and single punctuation characters; a trailing `;` comment is dropped.
const TOKEN = /[A-Za-z_][A-Za-z0-9_.]*|[0-9][A-Za-z0-9_]*|\S/g;
const isWord = (t: string): boolean => /^[A-Za-z0-9_]/.test(t);

/** Random layout choices, consumed one per decision. */
type Choices = number[];

function relay(text: string, picks: Choices): string {
  let at = 0;
  const pick = (n: number): number => picks[at++ % picks.length] % n;
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const code = raw.replace(/;.*$/, '');
    const toks = code.match(TOKEN) ?? [];
    if (pick(4) === 0) out.push(['', '   ', '# a hash comment', '// a line comment', '/* a block */', '/* a block\n   over two lines */'][pick(6)]);
    let line = ['', ' ', '\t', '    '][pick(4)];
    // the mnemonic: the first name not followed by ':' (a label)
    const m = toks.findIndex((t, j) => /^[A-Za-z_]/.test(t) && toks[j + 1] !== ':');
    toks.forEach((t, j) => {
      const prev = toks[j - 1];
      if (j > 0 && prev !== '#') {
        // a blank is needed only between two words; after '#' nothing may come between
        const seps = isWord(prev) && isWord(t) ? [' ', '\t', '  ', ' /* c */ '] : ['', ' ', '\t', '/* c */', ' /*c*/ '];
        line += seps[pick(seps.length)];
      }
      line += j === m && pick(2) === 0 ? t.toUpperCase() : t;
    });
    line += ['', ' ', ' ; trailing', '\t// trailing', ' /* trailing */', ' /* open\n */'][pick(6)];
    out.push(line);
  }
  return out.join(['\n', '\r\n'][pick(2)]);
}

describe('layout does not matter', () => {
  const layouts = fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 });

  it('valid programs relaid with blanks, comments, blank lines and mnemonic case assemble to the same instructions', () => {
    fc.assert(fc.property(validProgram(40, 30), layouts, (insns, picks) => {
      const text = relay(disassemble(insns), picks);
      const back = assemble(text);
      if (!back.ok) throw new Error(`${back.error.message} at ${back.error.loc?.line}:${back.error.loc?.col} in\n${text}`);
      expect(back.value).toEqual(insns);
    }), { numRuns: 200 });
  });

  it('arbitrary instructions (quads where bpf_asm has no spelling) survive relaying too', () => {
    fc.assert(fc.property(fc.array(anyInsn, { minLength: 1, maxLength: 10 }), layouts, (insns, picks) => {
      const text = relay(disassemble(insns), picks);
      const back = assemble(text);
      if (!back.ok) throw new Error(`${back.error.message} at ${back.error.loc?.line}:${back.error.loc?.col} in\n${text}`);
      expect(back.value).toEqual(insns);
    }), { numRuns: 200 });
  });
});

describe('names', () => {
  const known = [...new Set(Object.values(SYMBOLS).flatMap((m) => [...m.keys()]))];
  // known names, their case variants, near misses and random names: the hash tables must
  // tell apart names that differ by case or one character
  const name = fc.oneof(
    fc.constantFrom(...known),
    fc.constantFrom(...known).map((n) => n.toLowerCase()),
    fc.tuple(fc.constantFrom(...known), fc.nat(40), fc.constantFrom('A', 'Z', '_', '1', 'a')).map(([n, at, c]) => {
      const p = at % n.length;
      return n.slice(0, p) + c + n.slice(p + 1);
    }),
    fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/),
  ).filter((n) => /^[A-Za-z_]/.test(n) && n !== 'len' && !Object.hasOwn(SKF_AD, n)); // names, not numbers; `#len` and `#proto` are load keywords

  it('#NAME is an immediate exactly when the symbol table knows NAME, with its value', () => {
    fc.assert(fc.property(fc.array(name, { minLength: 1, maxLength: 6 }), (names) => {
      // the same names twice over, so the second lookups come from the assembler's cache
      const text = [...names, ...names].map((n) => `and #${n}`).join('\n') + '\nret a';
      const r = assemble(text);
      const firstUnknown = names.findIndex((n) => lookupSymbol(n, ALL_SYMBOL_KINDS) === undefined);
      if (firstUnknown >= 0) {
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.error.message).toBe(`unknown name '${names[firstUnknown]}'`);
          expect(r.error.loc).toMatchObject({ line: firstUnknown + 1, col: 6, len: names[firstUnknown].length });
        }
      } else {
        expect(r.ok && r.value.slice(0, -1).map((i) => i.k)).toEqual([...names, ...names].map((n) => lookupSymbol(n, ALL_SYMBOL_KINDS)! >>> 0));
      }
    }), { numRuns: 300 });
  });

  it('labels that differ by case or one character are different labels', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/), { minLength: 1, maxLength: 30 }), fc.nat(), (labels, seed) => {
      // every label jumps (ja) to the next one; a jump to a random label proves lookups hit the right one
      const target = seed % labels.length;
      const lines = ['ja ' + labels[target]];
      for (const l of labels) lines.push(`${l}: ld #${labels.indexOf(l)}`);
      lines.push('ret a');
      const r = assemble(lines.join('\n'));
      expect(r.ok && r.value[0].k).toBe(target);
      expect(r.ok && r.value.length).toBe(labels.length + 2);
    }), { numRuns: 200 });
  });
});
