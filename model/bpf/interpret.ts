// The VM: the kernel's runtime semantics for a checked classic program
// (kernel-semantics.md §5.4). A and X start at 0; arithmetic is unsigned 32-bit;
// context loads read a little-endian word; LSH/RSH by X use X & 31 (as the
// interpreter and the x86-64/arm64 JITs do); DIV by an X of 0 ends the run with 0
// (bpf_convert_filter inserts that check); comparisons are unsigned.

import type { Decoded, Program, TraceSink } from './program.ts';
import { decode, OPS } from './program.ts';

/** Run a decoded program on ctx. No allocation; all jumps go forward, so it terminates. */
export function execute(d: Decoded, ctx: Uint32Array): number {
  // literal case labels: Ignition turns a dense literal switch into a jump table
  const ops = d.ops, ks = d.ks, jts = d.jts, jfs = d.jfs, mem = d.mem;
  let a = 0, x = 0, pc = 0;
  for (;;) {
    const k = ks[pc];
    switch (ops[pc]) {
      case 0 /* LD_IMM */: a = k; break;
      case 1 /* LDX_IMM */: x = k; break;
      case 2 /* LD_CTX */: a = ctx[k]; break;
      case 3 /* LD_MEM */: a = mem[k]; break;
      case 4 /* LDX_MEM */: x = mem[k]; break;
      case 5 /* ST */: mem[k] = a; break;
      case 6 /* STX */: mem[k] = x; break;
      case 7 /* TAX */: x = a; break;
      case 8 /* TXA */: a = x; break;
      case 9 /* ADD_K */: a = (a + k) >>> 0; break;
      case 10 /* ADD_X */: a = (a + x) >>> 0; break;
      case 11 /* SUB_K */: a = (a - k) >>> 0; break;
      case 12 /* SUB_X */: a = (a - x) >>> 0; break;
      case 13 /* MUL_K */: a = Math.imul(a, k) >>> 0; break;
      case 14 /* MUL_X */: a = Math.imul(a, x) >>> 0; break;
      case 15 /* DIV_K */: a = (a / k) >>> 0; break;
      case 16 /* DIV_X */: if (x === 0) return 0; a = (a / x) >>> 0; break;
      case 17 /* AND_K */: a = (a & k) >>> 0; break;
      case 18 /* AND_X */: a = (a & x) >>> 0; break;
      case 19 /* OR_K */: a = (a | k) >>> 0; break;
      case 20 /* OR_X */: a = (a | x) >>> 0; break;
      case 21 /* XOR_K */: a = (a ^ k) >>> 0; break;
      case 22 /* XOR_X */: a = (a ^ x) >>> 0; break;
      case 23 /* LSH_K */: a = (a << k) >>> 0; break;
      case 24 /* LSH_X */: a = (a << x) >>> 0; break; // JS masks the count to 5 bits, as the kernel does
      case 25 /* RSH_K */: a = a >>> k; break;
      case 26 /* RSH_X */: a = a >>> x; break;
      case 27 /* NEG */: a = -a >>> 0; break;
      case 28 /* JA */: pc = k; continue;
      case 29 /* JEQ_K */: pc = a === k ? jts[pc] : jfs[pc]; continue;
      case 30 /* JEQ_X */: pc = a === x ? jts[pc] : jfs[pc]; continue;
      case 31 /* JGT_K */: pc = a > k ? jts[pc] : jfs[pc]; continue;
      case 32 /* JGT_X */: pc = a > x ? jts[pc] : jfs[pc]; continue;
      case 33 /* JGE_K */: pc = a >= k ? jts[pc] : jfs[pc]; continue;
      case 34 /* JGE_X */: pc = a >= x ? jts[pc] : jfs[pc]; continue;
      case 35 /* JSET_K */: pc = (a & k) !== 0 ? jts[pc] : jfs[pc]; continue;
      case 36 /* JSET_X */: pc = (a & x) !== 0 ? jts[pc] : jfs[pc]; continue;
      case 37 /* RET_K */: return k;
      case 38 /* RET_A */: return a;
      default: throw new Error(`internal: bad op ${ops[pc]} at ${pc}`);
    }
    pc++;
  }
}

const decodedCache = new WeakMap<readonly object[], Decoded>();

function decodedOf(program: Program): Decoded {
  let d = decodedCache.get(program.insns);
  if (!d) {
    d = decode(program.insns);
    decodedCache.set(program.insns, d);
  }
  return d;
}

/**
 * Interpret a program. With `trace`, every executed instruction is reported with
 * the registers after it and the scratch cell or context word it touched.
 */
export function interpret(program: Program, ctx: Uint32Array, trace?: TraceSink): number {
  const d = decodedOf(program);
  return trace ? executeTraced(program, d, ctx, trace) : execute(d, ctx);
}

function executeTraced(program: Program, d: Decoded, ctx: Uint32Array, sink: TraceSink): number {
  const mem = new Uint32Array(16);
  let a = 0, x = 0, pc = 0;
  for (;;) {
    const insn = program.insns[pc];
    const op = d.ops[pc];
    const k = d.ks[pc];
    if (op === OPS.RET_K || op === OPS.RET_A) {
      const ret = op === OPS.RET_K ? k : a;
      sink({ pc, insn, a, x, ret });
      return ret;
    }
    if (op === OPS.DIV_X && x === 0) {
      sink({ pc, insn, a, x, ret: 0, note: 'division by X == 0: the program returns 0' });
      return 0;
    }
    if (op >= OPS.JA && op <= OPS.JSET_X) {
      let next: number;
      let taken: boolean | undefined;
      if (op === OPS.JA) next = k;
      else {
        const v = op % 2 === OPS.JEQ_K % 2 ? k : x; // K forms have the odd numbers 29, 31, 33, 35
        taken = op <= OPS.JEQ_X ? a === v : op <= OPS.JGT_X ? a > v : op <= OPS.JGE_X ? a >= v : (a & v) !== 0;
        next = taken ? d.jts[pc] : d.jfs[pc];
      }
      sink({ pc, insn, a, x, taken, next });
      pc = next;
      continue;
    }
    // straight-line instruction: run it through the fast path's semantics on a one-instruction view
    const step: { mem?: { cell: number; value: number; write: boolean }; load?: { offset: number; value: number } } = {};
    switch (op) {
      case OPS.LD_IMM: a = k; break;
      case OPS.LDX_IMM: x = k; break;
      case OPS.LD_CTX: a = ctx[k]; step.load = { offset: k * 4, value: a }; break;
      case OPS.LD_MEM: a = mem[k]; step.mem = { cell: k, value: a, write: false }; break;
      case OPS.LDX_MEM: x = mem[k]; step.mem = { cell: k, value: x, write: false }; break;
      case OPS.ST: mem[k] = a; step.mem = { cell: k, value: a, write: true }; break;
      case OPS.STX: mem[k] = x; step.mem = { cell: k, value: x, write: true }; break;
      case OPS.TAX: x = a; break;
      case OPS.TXA: a = x; break;
      default: a = alu(op, a, op % 2 === OPS.ADD_K % 2 ? k : x);
    }
    sink({ pc, insn, a, x, ...step });
    pc++;
  }
}

/** ALU semantics for the traced path (the fast path inlines the same rules). */
function alu(op: number, a: number, v: number): number {
  switch (op) {
    case OPS.ADD_K: case OPS.ADD_X: return (a + v) >>> 0;
    case OPS.SUB_K: case OPS.SUB_X: return (a - v) >>> 0;
    case OPS.MUL_K: case OPS.MUL_X: return Math.imul(a, v) >>> 0;
    case OPS.DIV_K: case OPS.DIV_X: return (a / v) >>> 0;
    case OPS.AND_K: case OPS.AND_X: return (a & v) >>> 0;
    case OPS.OR_K: case OPS.OR_X: return (a | v) >>> 0;
    case OPS.XOR_K: case OPS.XOR_X: return (a ^ v) >>> 0;
    case OPS.LSH_K: case OPS.LSH_X: return (a << v) >>> 0;
    case OPS.RSH_K: case OPS.RSH_X: return a >>> v;
    case OPS.NEG: return -a >>> 0;
    default: throw new Error(`internal: bad op ${op}`);
  }
}
