// Regression tests for what the mutation harness found (sim/fuzz/), each with the
// input it found (seed 20261204, entry, index) and a property that the fix kept
// the behaviour.
//
// - bpf_asm decimal and C array files: every token was located by a scan from the
//   start of the file, so an 80 kB line of commas took over 100 s to reject;
// - program lines in traces: /\s+$/ is retried from every blank by V8, so a long
//   run of blanks inside a line took seconds (and '#' tested a slice each time).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENTRIES } from '../../sim/fuzz/entries.ts';
import { judge, runInput, type Input } from '../../sim/fuzz/harness.ts';
import { stripProgramComment } from '../../sim/trace/lex.ts';
import { parseBpfAsm, parseC } from '../../model/bpf/index.ts';

const entry = (n: string) => ENTRIES.find((e) => e.name === n)!;

describe('inputs the harness found slow', () => {
  // The harness found these as mutants (seed 20261204: check #1976, run #6629 and #1417,
  // disasm #3148, replay #945, explain #20778), but a mutant's index names a different
  // input once the corpus (the bundled scenarios) changes, so each kind is built here
  // from what made it slow:
  // - a bpf_asm decimal or C array line of tens of thousands of separators (the token
  //   locator scanned from the start of the file for every token);
  // - a program line ending in a long run of blanks (/\s+$/ retried from every blank);
  // - `kernels=7,,,,...` with 33,000 commas (an error per empty name, each printing the
  //   whole line: 207 s and a gigabyte of output).
  const commas = ','.repeat(80_000);
  const cases: [string, string, string][] = [
    ['check', 'decimal.bpf', `1,${commas}\n`],
    ['run', 'decimal.bpf', `3,6 0 0 1${commas}\n`],
    ['disasm', 'array.c', `{ ${', '.repeat(40_000)} }\n`],
    ['run', 'array.c', `{ { 0x06, 0, 0, 1 }${commas} }\n`],
    ['replay', 'in.trace', `trace t\n  program p\n    ret #1${' '.repeat(60_000)}x\n  end\nend\n`],
    ['explain', 'in.trace', `trace t kernels=7${','.repeat(33_000)}\n  nnp => 0\nend\n`],
  ];
  for (const [name, file, data] of cases) {
    it(`${name} on ${file} (${data.length} characters) finishes within the hang limit, with a located error`, async () => {
      const input: Input = { entry: name, index: 0, file, data, from: 'built' };
      const o = await runInput(entry(name), input);
      expect(o.code).toBe(2);
      expect(judge(input, o)).toBeNull();
    }, 30_000);
  }
});

/** Line and column of an offset, by the definition. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

describe('the fixes keep the behaviour', () => {
  it('stripProgramComment is the line up to its comment, without trailing white space', () => {
    // The rule, stated independently: '#' starts a comment when only white space is
    // before it, or when a blank (or the end) follows it.
    const rule = (s: string): string => {
      for (let i = 0; i < s.length; i++) {
        if (s[i] !== '#') continue;
        if (s.slice(0, i).trim() === '' || i + 1 === s.length || /[ \t\r\f\v]/.test(s[i + 1])) return s.slice(0, i).replace(/\s+$/, '');
      }
      return s.replace(/\s+$/, '');
    };
    const ch = fc.constantFrom('#', ' ', '\t', 'a', '1', '\u00a0', '\u2028', 'x', ',', '\r');
    fc.assert(fc.property(fc.array(ch, { maxLength: 30 }).map((a) => a.join('')), (s) => { expect(stripProgramComment(s)).toBe(rule(s)); }), { numRuns: 2000 });
  });

  it('bpf_asm decimal and C array errors are located where the definition says', () => {
    const tok = fc.constantFrom('1', '0', '6', ' ', ',', '\n', '{', '}', 'x', '  ');
    const text = fc.array(tok, { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(fc.property(text, text, (s, other) => {
      for (const parse of [parseBpfAsm, parseC]) {
        // The locator remembers where the last call left off: the same text gives the
        // same error fresh, again, and after another text.
        const seen = [s, s, other, s].map((t) => parse(t, 'f'));
        const loc = (r: (typeof seen)[number]) => (r.ok ? null : r.error.loc ?? null);
        expect(loc(seen[1])).toEqual(loc(seen[0]));
        expect(loc(seen[3])).toEqual(loc(seen[0]));
        const l = loc(seen[0]);
        if (!l) continue;
        const offsets = [...s].map((_c, i) => i).concat(s.length);
        expect(offsets.some((o) => lineCol(s, o) === `${l.line}:${l.col}`)).toBe(true);
      }
    }), { numRuns: 1000 });
  });
});
