// One classic BPF instruction, as in struct sock_filter: code u16, jt u8, jf u8, k u32.

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  /** Unsigned 32-bit. */
  k: number;
}

export const insn = (code: number, jt: number, jf: number, k: number): Insn => ({ code, jt, jf, k: k >>> 0 });
