// The generic classic-BPF checker every cBPF user goes through (net/core/filter.c:
// bpf_check_classic with chk_code_allowed's table, then check_load_and_stores).
// It looks at the instructions as the user wrote them, before io_uring's rewrites.

import type { Insn } from './insn.ts';
import { BPF, BPF_MEMWORDS, SKF_AD_OFF, isKnownAncillary } from './isa.ts';

export interface Rejection {
  /** Short stable identifier of the rule (see RULES in validate.ts). */
  rule: string;
  /** The failing instruction, or null for whole-program rules. */
  index: number | null;
  message: string;
}

/** chk_code_allowed's table: every code the generic checker knows. */
export const CLASSIC_CODES: ReadonlySet<number> = new Set([
  // 32-bit ALU, K and X forms, and NEG
  ...[BPF.ADD, BPF.SUB, BPF.MUL, BPF.DIV, BPF.MOD, BPF.AND, BPF.OR, BPF.XOR, BPF.LSH, BPF.RSH]
    .flatMap((op) => [BPF.ALU | op | BPF.K, BPF.ALU | op | BPF.X]),
  BPF.ALU | BPF.NEG,
  // loads
  BPF.LD | BPF.W | BPF.ABS, BPF.LD | BPF.H | BPF.ABS, BPF.LD | BPF.B | BPF.ABS, BPF.LD | BPF.W | BPF.LEN,
  BPF.LD | BPF.W | BPF.IND, BPF.LD | BPF.H | BPF.IND, BPF.LD | BPF.B | BPF.IND, BPF.LD | BPF.IMM, BPF.LD | BPF.MEM,
  BPF.LDX | BPF.W | BPF.LEN, BPF.LDX | BPF.B | BPF.MSH, BPF.LDX | BPF.IMM, BPF.LDX | BPF.MEM,
  // stores
  BPF.ST, BPF.STX,
  // misc
  BPF.MISC | BPF.TAX, BPF.MISC | BPF.TXA,
  // returns
  BPF.RET | BPF.K, BPF.RET | BPF.A,
  // jumps
  BPF.JMP | BPF.JA,
  ...[BPF.JEQ, BPF.JGE, BPF.JGT, BPF.JSET].flatMap((op) => [BPF.JMP | op | BPF.K, BPF.JMP | op | BPF.X]),
]);

const COND_JUMPS: ReadonlySet<number> = new Set(
  [BPF.JEQ, BPF.JGE, BPF.JGT, BPF.JSET].flatMap((op) => [BPF.JMP | op | BPF.K, BPF.JMP | op | BPF.X]),
);

/** The same sets as tables indexed by code (codes are u16): one load instead of a hash probe per instruction. */
const CLASSIC_TABLE = new Uint8Array(0x10000);
for (const c of CLASSIC_CODES) CLASSIC_TABLE[c] = 1;
const COND_TABLE = new Uint8Array(0x10000);
for (const c of COND_JUMPS) COND_TABLE[c] = 1;
/** Whether `code` is in a table; anything but a u16 is in none, as with the sets. */
const inTable = (t: Uint8Array, code: number): boolean => (code & 0xffff) === code && t[code] === 1;

const hex = (c: number) => '0x' + c.toString(16).padStart(2, '0');

/** bpf_check_classic, rule by rule in the kernel's order; null when the program passes. */
export function checkClassic(insns: readonly Insn[]): Rejection | null {
  const flen = insns.length;
  for (let pc = 0; pc < flen; pc++) {
    const { code, jt, jf } = insns[pc];
    const k = insns[pc].k >>> 0;
    if (!inTable(CLASSIC_TABLE, code)) {
      return { rule: 'code-unknown', index: pc, message: `instruction ${pc}: code ${hex(code)} is not a classic BPF instruction the kernel accepts` };
    }
    switch (code) {
      case BPF.ALU | BPF.DIV | BPF.K:
      case BPF.ALU | BPF.MOD | BPF.K:
        if (k === 0) return { rule: 'div-by-zero', index: pc, message: `instruction ${pc}: ${code === (BPF.ALU | BPF.DIV | BPF.K) ? 'division' : 'modulo'} by the constant 0` };
        break;
      case BPF.ALU | BPF.LSH | BPF.K:
      case BPF.ALU | BPF.RSH | BPF.K:
        if (k >= 32) return { rule: 'shift-range', index: pc, message: `instruction ${pc}: shift by ${k}; a constant shift must be below 32` };
        break;
      case BPF.LD | BPF.MEM:
      case BPF.LDX | BPF.MEM:
      case BPF.ST:
      case BPF.STX:
        if (k >= BPF_MEMWORDS) return { rule: 'mem-range', index: pc, message: `instruction ${pc}: scratch cell M[${k}] does not exist (M[0]..M[15])` };
        break;
      case BPF.JMP | BPF.JA:
        // k >= flen - pc - 1, compared as unsigned
        if (k >= flen - pc - 1) return { rule: 'ja-range', index: pc, message: `instruction ${pc}: ja +${k} lands at ${pc + 1 + k}, past the last instruction ${flen - 1}` };
        break;
      case BPF.LD | BPF.W | BPF.ABS:
      case BPF.LD | BPF.H | BPF.ABS:
      case BPF.LD | BPF.B | BPF.ABS:
        if (k >= SKF_AD_OFF && !isKnownAncillary(k)) {
          return { rule: 'ancillary-unknown', index: pc, message: `instruction ${pc}: offset ${hex(k)} is in the ancillary range (SKF_AD_OFF and up) but names no known extension` };
        }
        break;
      default:
        if (inTable(COND_TABLE, code) && (pc + jt + 1 >= flen || pc + jf + 1 >= flen)) {
          const bad = pc + jt + 1 >= flen ? `jt +${jt} lands at ${pc + 1 + jt}` : `jf +${jf} lands at ${pc + 1 + jf}`;
          return { rule: 'jump-range', index: pc, message: `instruction ${pc}: ${bad}, past the last instruction ${flen - 1}` };
        }
    }
  }
  const last = insns[flen - 1].code;
  if (last !== (BPF.RET | BPF.K) && last !== (BPF.RET | BPF.A)) {
    return { rule: 'ret-last', index: flen - 1, message: `the last instruction (${flen - 1}, code ${hex(last)}) must be 'ret #k' or 'ret a'` };
  }
  return checkLoadAndStores(insns);
}

/**
 * check_load_and_stores: one forward pass with a 16-bit "cells written" mask; a jump
 * ANDs its mask into each target and leaves "everything valid" for the next
 * instruction, which only an edge into it narrows again.
 */
export function checkLoadAndStores(insns: readonly Insn[]): Rejection | null {
  const flen = insns.length;
  const masks = new Uint16Array(flen).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < flen; pc++) {
    valid &= masks[pc];
    const { code, jt, jf } = insns[pc];
    const k = insns[pc].k >>> 0;
    switch (code) {
      case BPF.ST:
      case BPF.STX:
        valid |= 1 << k;
        break;
      case BPF.LD | BPF.MEM:
      case BPF.LDX | BPF.MEM:
        if (!(valid & (1 << k))) {
          return { rule: 'uninit-mem', index: pc, message: `instruction ${pc}: reads M[${k}], which some path reaches without writing` };
        }
        break;
      case BPF.JMP | BPF.JA:
        masks[pc + 1 + k] &= valid;
        valid = 0xffff;
        break;
      default:
        if (inTable(COND_TABLE, code)) {
          masks[pc + 1 + jt] &= valid;
          masks[pc + 1 + jf] &= valid;
          valid = 0xffff;
        }
    }
  }
  return null;
}
