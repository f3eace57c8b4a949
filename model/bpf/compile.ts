// The compiled evaluator: a checked program turned once into a JavaScript function.
// All classic jumps go forward, so every jump target T becomes the end of a labelled
// block that opens at the start of the function: `break L_T` lands exactly on T.
// The blocks nest because they all start at instruction 0. Registers and the used
// scratch cells become locals, context loads become typed-array reads.
// Immediates are not baked into the source: they are captured constants of a
// factory keyed by the program's shape, so programs that differ only in their
// constants share one function, its type feedback and its optimised code. That is
// what keeps a thousand similar filters as fast as one.

import { insnFieldError, type Insn } from './insn.ts';
import type { Program } from './program.ts';
import { OP_OF_CODE, OPS } from './program.ts';

/** Above this many distinct jump targets, use a loop-and-switch body instead of nested blocks. */
const MAX_NESTED_TARGETS = 1000;

export type CompiledFilter = (ctx: Uint32Array) => number;

/**
 * Factories by shape source; bounded by count and by total source size so a stream of
 * distinct shapes (a fuzzer's) cannot grow it forever. When full it is simply emptied:
 * live programs keep their functions, only sharing with future programs is lost.
 */
const factories = new Map<string, (K: Uint32Array) => CompiledFilter>();
const MAX_FACTORIES = 4096;
const MAX_SOURCE_CHARS = 8 << 20;
let sourceChars = 0;

/** Compile a checked program. The result allocates nothing per call. */
export function compile(program: Program, form?: 'blocks' | 'switch'): CompiledFilter {
  const { source, consts } = compileShape(program.insns, form);
  let factory = factories.get(source);
  if (!factory) {
    try {
      factory = new Function('K', source) as (K: Uint32Array) => CompiledFilter;
    } catch (e) {
      // deeply nested blocks can exhaust the parser's stack when called from deep code
      if (e instanceof RangeError && form !== 'switch') return compile(program, 'switch');
      throw e;
    }
    if (factories.size >= MAX_FACTORIES || sourceChars + source.length > MAX_SOURCE_CHARS) {
      factories.clear();
      sourceChars = 0;
    }
    factories.set(source, factory);
    sourceChars += source.length;
  }
  return factory(consts);
}

/** The factory source for these instructions (for tests and for people curious about the output). */
export function compileSource(insns: readonly Insn[], form?: 'blocks' | 'switch'): string {
  return compileShape(insns, form).source;
}

/** The shape source, whose `K[n]` are this program's immediates, and those immediates. */
export function compileShape(given: readonly Insn[], form?: 'blocks' | 'switch'): { source: string; consts: Uint32Array } {
  // The source is built only from numbers: a fresh copy of each instruction, every
  // field checked as an integer in range here, where it turns into code (defence in
  // depth: the array belongs to the caller, who may have changed it since it was checked).
  const insns = integerCopy(given);
  const targets = new Set<number>();
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc];
    const op = opOf(i, pc);
    if (op === OPS.JA) { if (i.k !== 0) targets.add(pc + 1 + i.k); }
    else if (op >= OPS.JEQ_K && op <= OPS.JSET_X) {
      if (i.jt !== 0) targets.add(pc + 1 + i.jt);
      if (i.jf !== 0) targets.add(pc + 1 + i.jf);
    }
  }
  const useSwitch = form ? form === 'switch' : targets.size > MAX_NESTED_TARGETS;
  const consts = new Uint32Array(insns.length);
  const slots: number[] = [];
  const kOf = (pc: number): string => {
    consts[pc] = insns[pc].k >>> 0;
    slots.push(pc);
    return `k${pc}`;
  };
  const body = useSwitch ? switchBody(insns, kOf) : blockBody(insns, targets, kOf);
  const head = slots.length ? `const ${slots.map((pc) => `k${pc} = K[${pc}]`).join(', ')};\n` : '';
  return { source: `"use strict";\n${head}return function filter(c) {\n${body}};\n`, consts };
}

function integerCopy(given: readonly Insn[]): Insn[] {
  if (!Array.isArray(given)) throw new TypeError('compile: the program\'s instructions are not an array');
  const out: Insn[] = new Array(given.length);
  for (let pc = 0; pc < given.length; pc++) {
    const i = given[pc] as Partial<Insn> | null | undefined;
    // Copied first, then checked: what is checked is what is used (no getter runs twice).
    const c = i === null || typeof i !== 'object' ? i : { code: i.code, jt: i.jt, jf: i.jf, k: i.k };
    const e = insnFieldError(c);
    if (e !== null) throw new TypeError(`compile: instruction ${pc}: ${e}`);
    out[pc] = { code: c!.code!, jt: c!.jt!, jf: c!.jf!, k: c!.k! >>> 0 };
  }
  return out;
}

function opOf(i: Insn, pc: number): number {
  const op = OP_OF_CODE.get(i.code);
  if (op === undefined) throw new Error(`internal: code 0x${i.code.toString(16)} at ${pc} reached the compiler unchecked`);
  return op;
}

function prologue(insns: readonly Insn[]): string {
  const cells = new Set<number>();
  for (const i of insns) {
    const op = OP_OF_CODE.get(i.code);
    if (op === OPS.ST || op === OPS.STX || op === OPS.LD_MEM || op === OPS.LDX_MEM) cells.add(i.k);
  }
  const mem = [...cells].sort((p, q) => p - q).map((c) => `, m${c} = 0`).join('');
  return `let a = 0, x = 0${mem};\n`;
}

/** The straight-line statement for a non-jump instruction (jumps are handled by the callers). */
function statement(i: Insn, op: number, pc: number, kOf: (pc: number) => string): string {
  const k = i.k >>> 0;
  const K = () => kOf(pc);
  switch (op) {
    case OPS.LD_IMM: return `a = ${K()};`;
    case OPS.LDX_IMM: return `x = ${K()};`;
    case OPS.LD_CTX: return `a = c[${k >>> 2}];`;
    case OPS.LD_MEM: return `a = m${k};`;
    case OPS.LDX_MEM: return `x = m${k};`;
    case OPS.ST: return `m${k} = a;`;
    case OPS.STX: return `m${k} = x;`;
    case OPS.TAX: return 'x = a;';
    case OPS.TXA: return 'a = x;';
    case OPS.ADD_K: return `a = (a + ${K()}) >>> 0;`;
    case OPS.ADD_X: return 'a = (a + x) >>> 0;';
    case OPS.SUB_K: return `a = (a - ${K()}) >>> 0;`;
    case OPS.SUB_X: return 'a = (a - x) >>> 0;';
    case OPS.MUL_K: return `a = Math.imul(a, ${K()}) >>> 0;`;
    case OPS.MUL_X: return 'a = Math.imul(a, x) >>> 0;';
    case OPS.DIV_K: return `a = (a / ${K()}) >>> 0;`;
    case OPS.DIV_X: return 'if (x === 0) return 0; a = (a / x) >>> 0;';
    case OPS.AND_K: return `a = (a & ${K()}) >>> 0;`;
    case OPS.AND_X: return 'a = (a & x) >>> 0;';
    case OPS.OR_K: return `a = (a | ${K()}) >>> 0;`;
    case OPS.OR_X: return 'a = (a | x) >>> 0;';
    case OPS.XOR_K: return `a = (a ^ ${K()}) >>> 0;`;
    case OPS.XOR_X: return 'a = (a ^ x) >>> 0;';
    case OPS.LSH_K: return `a = (a << ${K()}) >>> 0;`;
    case OPS.LSH_X: return 'a = (a << x) >>> 0;';
    case OPS.RSH_K: return `a = a >>> ${K()};`;
    case OPS.RSH_X: return 'a = a >>> x;';
    case OPS.NEG: return 'a = -a >>> 0;';
    case OPS.RET_K: return `return ${K()};`;
    case OPS.RET_A: return 'return a;';
    default: throw new Error(`internal: op ${op} is not a straight-line instruction`);
  }
}

function condition(i: Insn, op: number, pc: number, kOf: (pc: number) => string): string {
  const v = (op - OPS.JEQ_K) % 2 === 0 ? kOf(pc) : 'x';
  switch (op) {
    case OPS.JEQ_K: case OPS.JEQ_X: return `a === ${v}`;
    case OPS.JGT_K: case OPS.JGT_X: return `a > ${v}`;
    case OPS.JGE_K: case OPS.JGE_X: return `a >= ${v}`;
    default: return `(a & ${v}) !== 0`;
  }
}

function blockBody(insns: readonly Insn[], targets: Set<number>, kOf: (pc: number) => string): string {
  const sorted = [...targets].sort((p, q) => q - p);
  let out = prologue(insns);
  for (const t of sorted) out += `L${t}: {\n`;
  for (let pc = 0; pc < insns.length; pc++) {
    if (targets.has(pc)) out += `} // L${pc}\n`;
    const i = insns[pc];
    const op = opOf(i, pc);
    const to = (off: number) => `break L${pc + 1 + off};`;
    if (op === OPS.JA) {
      if (i.k !== 0) out += `${to(i.k)}\n`;
    } else if (op >= OPS.JEQ_K && op <= OPS.JSET_X) {
      const cond = condition(i, op, pc, kOf);
      if (i.jt === i.jf) { if (i.jt !== 0) out += `${to(i.jt)}\n`; }
      else if (i.jf === 0) out += `if (${cond}) ${to(i.jt)}\n`;
      else if (i.jt === 0) out += `if (!(${cond})) ${to(i.jf)}\n`;
      else out += `if (${cond}) ${to(i.jt)} else ${to(i.jf)}\n`;
    } else {
      out += statement(i, op, pc, kOf) + '\n';
    }
  }
  // the checker guarantees the last instruction returns
  return out;
}

/** For programs with very many jump targets: a loop over `switch (pc)`, cases falling through. */
function switchBody(insns: readonly Insn[], kOf: (pc: number) => string): string {
  let out = prologue(insns) + 'let pc = 0;\nfor (;;) switch (pc) {\ncase 0:\n';
  for (let pc = 0; pc < insns.length; pc++) {
    if (pc > 0) out += `case ${pc}:\n`;
    const i = insns[pc];
    const op = opOf(i, pc);
    const go = (off: number) => `{ pc = ${pc + 1 + off}; continue; }`;
    if (op === OPS.JA) out += `${go(i.k)}\n`;
    else if (op >= OPS.JEQ_K && op <= OPS.JSET_X) out += `if (${condition(i, op, pc, kOf)}) ${go(i.jt)} else ${go(i.jf)}\n`;
    else out += statement(i, op, pc, kOf) + '\n';
  }
  return out + '}\n';
}
