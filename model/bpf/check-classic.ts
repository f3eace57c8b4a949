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

/**
 * What bpf_check_classic checks for each code, as a table indexed by code (codes are u16):
 * one load per instruction instead of a hash probe and a chain of compares. 0 is a code
 * outside chk_code_allowed's table.
 */
const enum Rule { UNKNOWN = 0, PLAIN = 1, DIV_K = 2, SHIFT_K = 3, MEM = 4, JA = 5, LD_ABS = 6, COND = 7 }
const RULE_OF = new Uint8Array(0x10000);
for (const c of CLASSIC_CODES) RULE_OF[c] = Rule.PLAIN;
for (const c of COND_JUMPS) RULE_OF[c] = Rule.COND;
RULE_OF[BPF.ALU | BPF.DIV | BPF.K] = Rule.DIV_K;
RULE_OF[BPF.ALU | BPF.MOD | BPF.K] = Rule.DIV_K;
RULE_OF[BPF.ALU | BPF.LSH | BPF.K] = Rule.SHIFT_K;
RULE_OF[BPF.ALU | BPF.RSH | BPF.K] = Rule.SHIFT_K;
for (const c of [BPF.LD | BPF.MEM, BPF.LDX | BPF.MEM, BPF.ST, BPF.STX]) RULE_OF[c] = Rule.MEM;
RULE_OF[BPF.JMP | BPF.JA] = Rule.JA;
for (const c of [BPF.LD | BPF.W | BPF.ABS, BPF.LD | BPF.H | BPF.ABS, BPF.LD | BPF.B | BPF.ABS]) RULE_OF[c] = Rule.LD_ABS;
/** The rule for `code`; anything but a u16 is Rule.UNKNOWN, as it is in no set. */
const ruleOf = (code: number, table: Uint8Array): number => ((code & 0xffff) === code ? table[code] : Rule.UNKNOWN);

const hex = (c: number) => '0x' + c.toString(16).padStart(2, '0');

/** bpf_check_classic, rule by rule in the kernel's order; null when the program passes. */
export function checkClassic(insns: readonly Insn[]): Rejection | null {
  const flen = insns.length;
  const rules = RULE_OF;
  for (let pc = 0; pc < flen; pc++) {
    const i = insns[pc];
    const code = i.code;
    const rule = ruleOf(code, rules);
    if (rule === Rule.PLAIN) continue;
    const k = i.k >>> 0;
    switch (rule) {
      case Rule.UNKNOWN:
        return { rule: 'code-unknown', index: pc, message: `instruction ${pc}: code ${hex(code)} is not a classic BPF instruction the kernel accepts` };
      case Rule.DIV_K:
        if (k === 0) return { rule: 'div-by-zero', index: pc, message: `instruction ${pc}: ${code === (BPF.ALU | BPF.DIV | BPF.K) ? 'division' : 'modulo'} by the constant 0` };
        break;
      case Rule.SHIFT_K:
        if (k >= 32) return { rule: 'shift-range', index: pc, message: `instruction ${pc}: shift by ${k}; a constant shift must be below 32` };
        break;
      case Rule.MEM:
        if (k >= BPF_MEMWORDS) return { rule: 'mem-range', index: pc, message: `instruction ${pc}: scratch cell M[${k}] does not exist (M[0]..M[15])` };
        break;
      case Rule.JA:
        // k >= flen - pc - 1, compared as unsigned
        if (k >= flen - pc - 1) return { rule: 'ja-range', index: pc, message: `instruction ${pc}: ja +${k} lands at ${pc + 1 + k}, past the last instruction ${flen - 1}` };
        break;
      case Rule.LD_ABS:
        if (k >= SKF_AD_OFF && !isKnownAncillary(k)) {
          return { rule: 'ancillary-unknown', index: pc, message: `instruction ${pc}: offset ${hex(k)} is in the ancillary range (SKF_AD_OFF and up) but names no known extension` };
        }
        break;
      default: { // Rule.COND
        const jt = i.jt, jf = i.jf;
        if (pc + jt + 1 >= flen || pc + jf + 1 >= flen) {
          const bad = pc + jt + 1 >= flen ? `jt +${jt} lands at ${pc + 1 + jt}` : `jf +${jf} lands at ${pc + 1 + jf}`;
          return { rule: 'jump-range', index: pc, message: `instruction ${pc}: ${bad}, past the last instruction ${flen - 1}` };
        }
      }
    }
  }
  const last = insns[flen - 1].code;
  if (last !== (BPF.RET | BPF.K) && last !== (BPF.RET | BPF.A)) {
    return { rule: 'ret-last', index: flen - 1, message: `the last instruction (${flen - 1}, code ${hex(last)}) must be 'ret #k' or 'ret a'` };
  }
  return checkLoadAndStores(insns);
}

/** The masks of checkLoadAndStores, kept between calls (they never leave it, and calls never nest). */
let scratchMasks = new Uint16Array(256);

/**
 * check_load_and_stores: one forward pass with a 16-bit "cells written" mask; a jump
 * ANDs its mask into each target and leaves "everything valid" for the next
 * instruction, which only an edge into it narrows again.
 */
export function checkLoadAndStores(insns: readonly Insn[]): Rejection | null {
  const flen = insns.length;
  const rules = RULE_OF;
  if (scratchMasks.length < flen) scratchMasks = new Uint16Array(Math.max(flen, 2 * scratchMasks.length));
  const masks = scratchMasks.fill(0xffff, 0, flen);
  let valid = 0;
  for (let pc = 0; pc < flen; pc++) {
    valid &= masks[pc];
    const i = insns[pc];
    const rule = ruleOf(i.code, rules);
    if (rule === Rule.MEM) {
      const k = i.k >>> 0;
      // st and stx (classes 2 and 3) write the cell; ld and ldx M[k] read it
      if ((i.code & 0x07) >= BPF.ST) valid |= 1 << k;
      else if (!(valid & (1 << k))) {
        return { rule: 'uninit-mem', index: pc, message: `instruction ${pc}: reads M[${k}], which some path reaches without writing` };
      }
    } else if (rule === Rule.JA) {
      masks[pc + 1 + (i.k >>> 0)] &= valid;
      valid = 0xffff;
    } else if (rule === Rule.COND) {
      masks[pc + 1 + i.jt] &= valid;
      masks[pc + 1 + i.jf] &= valid;
      valid = 0xffff;
    }
  }
  return null;
}
