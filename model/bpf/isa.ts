// The classic BPF instruction set: the bit fields of `code` (linux/bpf_common.h,
// linux/filter.h) and the handful of limits the checkers use.

export const BPF = {
  // instruction class, code & 0x07
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
  // load size, code & 0x18
  W: 0x00, H: 0x08, B: 0x10,
  // load mode, code & 0xe0
  IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0,
  // ALU and JMP operation, code & 0xf0
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
  // operand source, code & 0x08
  K: 0x00, X: 0x08,
  // return value source, code & 0x18
  A: 0x10,
  // MISC operation, code & 0xf8
  TAX: 0x00, TXA: 0x80,
} as const;

export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfRval = (code: number): number => code & 0x18;
export const bpfMiscOp = (code: number): number => code & 0xf8;

/** Scratch memory cells M[0..15]. */
export const BPF_MEMWORDS = 16;
/** Longest program the kernel accepts. */
export const BPF_MAXINSNS = 4096;
/** Ancillary ("extension") loads live at negative offsets from here (-0x1000 as u32). */
export const SKF_AD_OFF = 0xfffff000;

/** The ancillary loads bpf_anc_helper knows (linux/filter.h), by bpf_asm keyword. */
export const SKF_AD: Readonly<Record<string, number>> = {
  proto: 0, type: 4, ifidx: 8, nla: 12, nlan: 16, mark: 20, queue: 24, hatype: 28, rxhash: 32,
  cpu: 36, alu_xor_x: 40, vlan_tci: 44, vlan_avail: 48, vlan_pr: 48, poff: 52, rand: 56, vlan_tpid: 60,
};

/** Whether k names an ancillary load the generic checker accepts (bpf_anc_helper). */
export function isKnownAncillary(k: number): boolean {
  const off = (k - SKF_AD_OFF) >>> 0;
  return k >= SKF_AD_OFF && off <= 60 && off % 4 === 0;
}

/** The conditional jumps: every JMP code except JA. */
export function isCondJump(code: number): boolean {
  return bpfClass(code) === BPF.JMP && bpfOp(code) !== BPF.JA;
}

/** The code the io_uring checker rewrites `ld [k]` into: "load the context word at k into A". */
export const LDX_W_ABS = BPF.LDX | BPF.W | BPF.ABS;
