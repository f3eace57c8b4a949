// One classic BPF instruction, as in struct sock_filter: code u16, jt u8, jf u8, k u32.

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  /** Unsigned 32-bit. */
  k: number;
}

export const insn = (code: number, jt: number, jf: number, k: number): Insn => ({ code, jt, jf, k: k >>> 0 });

/** Each field's C type in struct sock_filter, as its largest value. */
const FIELD_MAX = { code: 0xffff, jt: 0xff, jf: 0xff, k: 0xffffffff } as const;

/**
 * Why `x` is not an instruction a kernel could be handed (each field an integer in
 * its C type's range), or null. The library's entry points (validate, makeProgram,
 * compile) check every instruction with this before anything reads it: a field that
 * is a string, a fraction or an object must never reach generated code.
 */
export function insnFieldError(x: unknown): string | null {
  if (typeof x !== 'object' || x === null) return `is ${x === null ? 'null' : typeof x}, not an instruction {code, jt, jf, k}`;
  const r = x as Record<string, unknown>;
  for (const f of ['code', 'jt', 'jf', 'k'] as const) {
    const v = r[f];
    // k may also be given as the i32 with the same bits (-1 for 0xffffffff), as C converts it.
    const min = f === 'k' ? -0x80000000 : 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > FIELD_MAX[f]) {
      const shown = typeof v === 'number' ? String(v) : typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}` : typeof v;
      return `field ${f} is ${shown}; expected an integer ${min}..${FIELD_MAX[f]} (${f === 'code' ? 'u16' : f === 'k' ? 'u32, or the i32 of the same bits' : 'u8'})`;
    }
  }
  return null;
}

/** The first instruction of `insns` that insnFieldError rejects, or null (also rejects a non-array). */
export function findBadInsn(insns: unknown): { index: number | null; message: string } | null {
  if (!Array.isArray(insns)) return { index: null, message: `the program is ${insns === null ? 'null' : typeof insns}, not an array of instructions` };
  for (let i = 0; i < insns.length; i++) {
    const e = insnFieldError(insns[i]);
    if (e !== null) return { index: i, message: `instruction ${i}: ${e}` };
  }
  return null;
}

/** Throw a TypeError unless every instruction is well-formed (for entry points that return no verdict). */
export function assertInsns(insns: unknown, who: string): asserts insns is readonly Insn[] {
  const bad = findBadInsn(insns);
  if (bad) throw new TypeError(`${who}: ${bad.message}`);
}
