// io_uring's own pass over a classic program that the generic checker accepted
// (io_uring/bpf_filter.c: io_uring_check_cbpf_filter). It allows only context word
// loads, immediates, scratch memory, ALU (no MOD), jumps and returns, and rewrites
// `ld [k]` into a context load and `len` into the context size.

import type { Insn } from './insn.ts';
import { BPF, LDX_W_ABS } from './isa.ts';
import type { Rejection } from './check-classic.ts';

/** The codes io_uring lets through unchanged. */
export const IO_URING_CODES: ReadonlySet<number> = new Set([
  BPF.RET | BPF.K, BPF.RET | BPF.A,
  ...[BPF.ADD, BPF.SUB, BPF.MUL, BPF.DIV, BPF.AND, BPF.OR, BPF.XOR, BPF.LSH, BPF.RSH]
    .flatMap((op) => [BPF.ALU | op | BPF.K, BPF.ALU | op | BPF.X]),
  BPF.ALU | BPF.NEG,
  BPF.LD | BPF.IMM, BPF.LDX | BPF.IMM, BPF.MISC | BPF.TAX, BPF.MISC | BPF.TXA,
  BPF.LD | BPF.MEM, BPF.LDX | BPF.MEM, BPF.ST, BPF.STX,
  BPF.JMP | BPF.JA,
  ...[BPF.JEQ, BPF.JGE, BPF.JGT, BPF.JSET].flatMap((op) => [BPF.JMP | op | BPF.K, BPF.JMP | op | BPF.X]),
]);

/**
 * What io_uring does with each code, as a table indexed by code (codes are u16): 0 rejects,
 * COPY lets it through, the others are the rewrites. One load per instruction.
 */
const enum Action { REJECT = 0, COPY = 1, LD_ABS_W = 2, LD_LEN = 3, LDX_LEN = 4 }
const ACTION = new Uint8Array(0x10000);
for (const c of IO_URING_CODES) ACTION[c] = Action.COPY;
ACTION[BPF.LD | BPF.W | BPF.ABS] = Action.LD_ABS_W;
ACTION[BPF.LD | BPF.W | BPF.LEN] = Action.LD_LEN;
ACTION[BPF.LDX | BPF.W | BPF.LEN] = Action.LDX_LEN;

const WHY_NOT: Record<number, string> = {
  [BPF.ALU | BPF.MOD | BPF.K]: 'modulo (mod) is not in io_uring\'s allow list',
  [BPF.ALU | BPF.MOD | BPF.X]: 'modulo (mod) is not in io_uring\'s allow list',
  [BPF.LD | BPF.H | BPF.ABS]: 'half-word loads (ldh) are not allowed: load the whole word and mask',
  [BPF.LD | BPF.B | BPF.ABS]: 'byte loads (ldb) are not allowed: load the whole word and mask',
  [BPF.LD | BPF.W | BPF.IND]: 'indirect loads [x + k] are not allowed: offsets must be constant',
  [BPF.LD | BPF.H | BPF.IND]: 'indirect loads [x + k] are not allowed: offsets must be constant',
  [BPF.LD | BPF.B | BPF.IND]: 'indirect loads [x + k] are not allowed: offsets must be constant',
  [BPF.LDX | BPF.B | BPF.MSH]: 'ldxb 4*([k]&0xf) is a packet-header load, not allowed',
};

export type IoUringCheck = { ok: true; insns: Insn[] } | { ok: false; rejection: Rejection };

/** Check and rewrite, in order; the first failing instruction rejects the program. */
export function checkIoUring(insns: readonly Insn[], ctxSize: number): IoUringCheck {
  // Unchanged instructions are the caller's objects themselves when k is already a u32
  // (instructions are never changed in place anywhere, and copying 4,096 of them was a
  // third of validating a full-size program). So the result starts as a copy of the
  // array, made in one go, and only the rewritten instructions are stored into it.
  const out: Insn[] = insns.slice();
  const actions = ACTION;
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc];
    const code = i.code;
    const k = i.k >>> 0;
    const action = (code & 0xffff) === code ? actions[code] : Action.REJECT;
    if (action === Action.COPY) {
      if (k !== i.k) out[pc] = { code, jt: i.jt, jf: i.jf, k };
      continue;
    }
    switch (action) {
      case Action.LD_ABS_W:
        if (k >= ctxSize) {
          return { ok: false, rejection: { rule: 'ld-abs-range', index: pc, message: `instruction ${pc}: ld [${k}] is outside the ${ctxSize}-byte context (offsets 0..${ctxSize - 4})` } };
        }
        if (k & 3) {
          return { ok: false, rejection: { rule: 'ld-abs-align', index: pc, message: `instruction ${pc}: ld [${k}] is not 4-byte aligned; load [${k & ~3}] and shift or mask` } };
        }
        out[pc] = { code: LDX_W_ABS, jt: i.jt, jf: i.jf, k };
        continue;
      case Action.LD_LEN:
        out[pc] = { code: BPF.LD | BPF.IMM, jt: i.jt, jf: i.jf, k: ctxSize };
        continue;
      case Action.LDX_LEN:
        out[pc] = { code: BPF.LDX | BPF.IMM, jt: i.jt, jf: i.jf, k: ctxSize };
        continue;
      default: {
        const why = WHY_NOT[code] ?? `code 0x${code.toString(16).padStart(2, '0')} is not in io_uring's allow list`;
        return { ok: false, rejection: { rule: 'io-uring-code', index: pc, message: `instruction ${pc}: ${why}` } };
      }
    }
  }
  return { ok: true, insns: out };
}
