// A loaded filter: what validate() hands back once the kernel would accept the
// instructions, and the pre-decoded form the interpreter walks.

import { assertInsns, type Insn } from './insn.ts';
import { BPF, LDX_W_ABS } from './isa.ts';

export interface Program {
  /** After the io_uring rewrites (LD W ABS -> ctx load 0x21, LEN -> IMM of the ctx size). */
  readonly insns: readonly Insn[];
  /** Context size in 32-bit words: 10 (40-byte ctx) or 16 (v5's 64). */
  readonly ctxWords: number;
  /**
   * Run on a context given as little-endian 32-bit words (a Uint32Array of ctxWords).
   * Returns the u32 result; 0 means deny. Interpreted while cold, compiled once hot.
   */
  run(ctx: Uint32Array): number;
}

/** One executed instruction, as the trace mode reports it (state after the instruction). */
export interface TraceStep {
  pc: number;
  insn: Insn;
  a: number;
  x: number;
  /** The scratch cell the instruction read or wrote, with the value moved. */
  mem?: { cell: number; value: number; write: boolean };
  /** The context word a load read: its byte offset and value. */
  load?: { offset: number; value: number };
  /** For jumps: whether a conditional was true, and where execution goes next. */
  taken?: boolean;
  next?: number;
  /** For RET, and for DIV X by zero (which returns 0): the program's result. */
  ret?: number;
  /** Why the program ended early, for DIV by X == 0. */
  note?: string;
}

export type TraceSink = (step: TraceStep) => void;

/** Dense operation numbers for the interpreter's switch (one per allowed code). */
export const OPS = {
  LD_IMM: 0, LDX_IMM: 1, LD_CTX: 2, LD_MEM: 3, LDX_MEM: 4, ST: 5, STX: 6, TAX: 7, TXA: 8,
  ADD_K: 9, ADD_X: 10, SUB_K: 11, SUB_X: 12, MUL_K: 13, MUL_X: 14, DIV_K: 15, DIV_X: 16,
  AND_K: 17, AND_X: 18, OR_K: 19, OR_X: 20, XOR_K: 21, XOR_X: 22, LSH_K: 23, LSH_X: 24,
  RSH_K: 25, RSH_X: 26, NEG: 27, JA: 28, JEQ_K: 29, JEQ_X: 30, JGT_K: 31, JGT_X: 32,
  JGE_K: 33, JGE_X: 34, JSET_K: 35, JSET_X: 36, RET_K: 37, RET_A: 38,
} as const;

/** Code (after the io_uring rewrites) to dense op; every code io_uring lets through. */
export const OP_OF_CODE: ReadonlyMap<number, number> = new Map([
  [BPF.LD | BPF.IMM, OPS.LD_IMM], [BPF.LDX | BPF.IMM, OPS.LDX_IMM], [LDX_W_ABS, OPS.LD_CTX],
  [BPF.LD | BPF.MEM, OPS.LD_MEM], [BPF.LDX | BPF.MEM, OPS.LDX_MEM], [BPF.ST, OPS.ST], [BPF.STX, OPS.STX],
  [BPF.MISC | BPF.TAX, OPS.TAX], [BPF.MISC | BPF.TXA, OPS.TXA],
  [BPF.ALU | BPF.ADD | BPF.K, OPS.ADD_K], [BPF.ALU | BPF.ADD | BPF.X, OPS.ADD_X],
  [BPF.ALU | BPF.SUB | BPF.K, OPS.SUB_K], [BPF.ALU | BPF.SUB | BPF.X, OPS.SUB_X],
  [BPF.ALU | BPF.MUL | BPF.K, OPS.MUL_K], [BPF.ALU | BPF.MUL | BPF.X, OPS.MUL_X],
  [BPF.ALU | BPF.DIV | BPF.K, OPS.DIV_K], [BPF.ALU | BPF.DIV | BPF.X, OPS.DIV_X],
  [BPF.ALU | BPF.AND | BPF.K, OPS.AND_K], [BPF.ALU | BPF.AND | BPF.X, OPS.AND_X],
  [BPF.ALU | BPF.OR | BPF.K, OPS.OR_K], [BPF.ALU | BPF.OR | BPF.X, OPS.OR_X],
  [BPF.ALU | BPF.XOR | BPF.K, OPS.XOR_K], [BPF.ALU | BPF.XOR | BPF.X, OPS.XOR_X],
  [BPF.ALU | BPF.LSH | BPF.K, OPS.LSH_K], [BPF.ALU | BPF.LSH | BPF.X, OPS.LSH_X],
  [BPF.ALU | BPF.RSH | BPF.K, OPS.RSH_K], [BPF.ALU | BPF.RSH | BPF.X, OPS.RSH_X],
  [BPF.ALU | BPF.NEG, OPS.NEG],
  [BPF.JMP | BPF.JA, OPS.JA],
  [BPF.JMP | BPF.JEQ | BPF.K, OPS.JEQ_K], [BPF.JMP | BPF.JEQ | BPF.X, OPS.JEQ_X],
  [BPF.JMP | BPF.JGT | BPF.K, OPS.JGT_K], [BPF.JMP | BPF.JGT | BPF.X, OPS.JGT_X],
  [BPF.JMP | BPF.JGE | BPF.K, OPS.JGE_K], [BPF.JMP | BPF.JGE | BPF.X, OPS.JGE_X],
  [BPF.JMP | BPF.JSET | BPF.K, OPS.JSET_K], [BPF.JMP | BPF.JSET | BPF.X, OPS.JSET_X],
  [BPF.RET | BPF.K, OPS.RET_K], [BPF.RET | BPF.A, OPS.RET_A],
]);

/** The program as flat typed arrays, so running it touches no objects and allocates nothing. */
export interface Decoded {
  readonly ops: Uint8Array;
  /** k, except for context loads where it is the word index k/4 and for JA where it is the target. */
  readonly ks: Uint32Array;
  /** Absolute targets of conditional jumps. */
  readonly jts: Uint16Array;
  readonly jfs: Uint16Array;
  /** Scratch memory M[], reused by every run (runs never nest). */
  readonly mem: Uint32Array;
}

/** Decode checked instructions; throws on a code the io_uring checker never lets through (a bug). */
/** OP_OF_CODE as a table indexed by the 16-bit code (0xff: not a VM op): one load per instruction. */
const OP_TABLE = (() => {
  const t = new Uint8Array(0x10000).fill(0xff);
  for (const [code, op] of OP_OF_CODE) t[code] = op;
  return t;
})();

export function decode(insns: readonly Insn[]): Decoded {
  // Programs reach here from makeProgram (checked), but interpret() is public too.
  assertInsns(insns, 'interpret');
  const n = insns.length;
  // one buffer for the five arrays: each ArrayBuffer is an allocation outside the heap,
  // which costs more than filling it
  const buf = new ArrayBuffer(9 * n + 64);
  const ks = new Uint32Array(buf, 0, n), jts = new Uint16Array(buf, 4 * n, n), jfs = new Uint16Array(buf, 6 * n, n);
  const mem = new Uint32Array(buf, 8 * n, 16), ops = new Uint8Array(buf, 8 * n + 64, n);
  const table = OP_TABLE;
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc];
    const code = i.code;
    const op = (code & 0xffff) === code ? table[code] : 0xff;
    if (op === 0xff) throw new Error(`internal: code 0x${code.toString(16)} at ${pc} reached the VM unchecked`);
    ops[pc] = op;
    ks[pc] = op === OPS.LD_CTX ? i.k >>> 2 : op === OPS.JA ? pc + 1 + i.k : i.k;
    jts[pc] = pc + 1 + i.jt;
    jfs[pc] = pc + 1 + i.jf;
  }
  return { ops, ks, jts, jfs, mem };
}
