// The library boundary (issue 11 item 6): instructions handed to validate,
// makeProgram, compile or a program's run come from callers (parsed JSON, a
// fuzzer); a field that is not an integer in its C type's range must be refused
// there, and nothing a field holds may run as code. Every field and every entry is
// tried with payloads that would set globalThis.PWNED if they reached the
// generated source, and with numbers out of range.
import { afterEach, describe, expect, it } from 'vitest';
import { compile, compileSource, interpret, makeProgram, validate } from '../../model/bpf/index.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { Program } from '../../model/bpf/program.ts';
import { PROFILES } from '../../model/profile/profiles.ts';

const P73 = PROFILES['7.3'];
const g = globalThis as { PWNED?: number };
afterEach(() => { delete g.PWNED; });

/** A program that uses every field in the generated source: ld M[k], jumps, ld [k], ret #k. */
const raw = (): Insn[] => [
  { code: 0x00, jt: 0, jf: 0, k: 7 }, // ld #7
  { code: 0x02, jt: 0, jf: 0, k: 0 }, // st M[0]
  { code: 0x60, jt: 0, jf: 0, k: 0 }, // ld M[0]
  { code: 0x15, jt: 0, jf: 1, k: 7 }, // jeq #7, next, skip
  { code: 0x20, jt: 0, jf: 0, k: 0 }, // ld [0]
  { code: 0x05, jt: 0, jf: 0, k: 0 }, // ja +0
  { code: 0x06, jt: 0, jf: 0, k: 1 }, // ret #1
];
/** The same after the kernel's checks rewrote ld [k] (what makeProgram, compile and interpret take). */
const checked = (): Insn[] => {
  const v = validate(raw(), P73);
  if (!v.ok) throw new Error(v.message);
  return v.program.insns.map((i) => ({ ...i }));
};
const base = (entry: string): Insn[] => (entry === 'validate' ? raw() : checked());

const PAYLOADS: unknown[] = [
  '0;globalThis.PWNED=1;//',
  '1) + (globalThis.PWNED = 1',
  '0}; globalThis.PWNED=1; {',
  { valueOf: () => { g.PWNED = 1; return 0; }, toString: () => { g.PWNED = 1; return '0'; } },
  [0],
  1.5,
  NaN,
  Infinity,
  2 ** 32,
  10n,
  null,
  undefined,
  true,
];
const OUT_OF_RANGE: Record<keyof Insn, number[]> = { code: [0x10000, -1], jt: [256, -1], jf: [256, -1], k: [2 ** 32, -(2 ** 31) - 1, 0.5] };

/** A payload for a failure message, without coercing it (which would run valueOf). */
const label = (x: unknown) => (typeof x === 'object' && x !== null ? 'an object' : typeof x === 'bigint' ? `${x}n` : JSON.stringify(x) ?? typeof x);

type Entry = (insns: Insn[]) => unknown;
const ENTRIES: Record<string, Entry> = {
  validate: (insns) => {
    const v = validate(insns, P73);
    if (v.ok) return v.program.run(new Uint32Array(P73.ctx.size / 4));
    return v;
  },
  'makeProgram (interpreted)': (insns) => makeProgram(insns, 16, { hotThreshold: Infinity }).run(new Uint32Array(16)),
  'makeProgram (compiled on first run)': (insns) => makeProgram(insns, 16, { hotThreshold: 0 }).run(new Uint32Array(16)),
  compile: (insns) => compile({ insns, ctxWords: 16 } as unknown as Program)(new Uint32Array(16)),
  compileSource: (insns) => compileSource(insns),
  interpret: (insns) => interpret({ insns, ctxWords: 16 } as unknown as Program, new Uint32Array(16)),
};

describe('every field, every entry: nothing runs, the bad field is named', () => {
  for (const [entry, call] of Object.entries(ENTRIES)) {
    for (const field of ['code', 'jt', 'jf', 'k'] as const) {
      it(`${entry}: ${field}`, () => {
        const bads = [...PAYLOADS, ...OUT_OF_RANGE[field]];
        for (let pc = 0; pc < raw().length; pc++) {
          for (const bad of bads) {
            const insns = base(entry);
            (insns[pc] as unknown as Record<string, unknown>)[field] = bad;
            let threw: unknown = null, got: unknown;
            try { got = call(insns); } catch (e) { threw = e; }
            expect(g.PWNED, `${entry} ${field}=${label(bad)} at ${pc}`).toBeUndefined();
            if (entry === 'validate') expect(got).toMatchObject({ ok: false, errno: 22, rule: 'insn-field', index: pc });
            else {
              // Entries without a verdict refuse with a TypeError naming the instruction and field.
              expect(threw).toBeInstanceOf(TypeError);
              expect(String((threw as Error).message)).toContain(`instruction ${pc}: field ${field}`);
            }
          }
        }
      });
    }
  }
  it('a non-array or a non-object instruction is refused too', () => {
    expect(validate('ret #1' as unknown as Insn[], P73)).toMatchObject({ ok: false, rule: 'insn-field', index: null });
    expect(validate([null as unknown as Insn], P73)).toMatchObject({ ok: false, rule: 'insn-field', index: 0 });
    expect(() => makeProgram([7 as unknown as Insn], 16)).toThrow(TypeError);
  });
  it('the well-formed program runs on every entry (the refusals are not blanket)', () => {
    for (const [entry, call] of Object.entries(ENTRIES)) expect(() => call(base(entry))).not.toThrow();
    expect(makeProgram(checked(), 16, { hotThreshold: 0 }).run(new Uint32Array(16))).toBe(1);
  });
  it('an array changed after makeProgram checked it still cannot inject at compile time', () => {
    const insns = checked();
    const p = makeProgram(insns, 16, { hotThreshold: 1 });
    p.run(new Uint32Array(16));
    (insns[2] as unknown as Record<string, unknown>).k = '0;globalThis.PWNED=1;//';
    expect(() => p.run(new Uint32Array(16))).toThrow(TypeError);
    expect(g.PWNED).toBeUndefined();
  });
});
