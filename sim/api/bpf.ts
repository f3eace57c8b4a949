/**
 * `ringfence/bpf`: the classic BPF of io_uring filters. Assemble bpf_asm text,
 * disassemble, ask whether a kernel would accept a program (and with which errno it
 * would refuse it), run a program on a request context, compile it to a JavaScript
 * function, and read or write the program formats the tools exchange.
 *
 * @example
 * ```ts
 * import { assemble, validate, requestContext, runFilter, disassemble } from 'ringfence/bpf';
 *
 * const prog = assemble(`
 *   ld [socket.family]
 *   jeq #AF_INET, ok, no
 * ok: ret #1
 * no: ret #0
 * `);
 * if (!prog.ok) throw new Error(prog.error.message);
 * const verdict = validate(prog.value, '7.3');
 * if (!verdict.ok) throw new Error(`the kernel refuses it: errno ${verdict.errno}, ${verdict.message}`);
 * const ctx = requestContext('7.3', 'SOCKET', { 'socket.family': 2n });
 * if (!ctx.ok) throw new Error(ctx.error.message);
 * console.log(runFilter(verdict.program, ctx.value));   // 1: allowed
 * console.log(disassemble(prog.value));
 * ```
 * @module ringfence/bpf
 */

import { rfError, type Result, type RfError } from '../../model/errors.ts';
import type { CtxField, CtxLayout } from '../../model/abi/ctx.ts';
import { OP, type OpcodeName } from '../../model/abi/opcodes.ts';
import { pduSizeFor } from '../../model/profile/profiles.ts';
import { validate as validateFor, RULES, type Verdict } from '../../model/bpf/validate.ts';
import { findField, packContext } from '../../model/bpf/context.ts';
import { interpret } from '../../model/bpf/interpret.ts';
import type { Program, TraceStep } from '../../model/bpf/program.ts';
import { toProfile, type ProfileLike } from './profile.ts';

export type { Insn } from '../../model/bpf/insn.ts';
export { insn } from '../../model/bpf/insn.ts';
export { BPF, BPF_MAXINSNS, BPF_MEMWORDS } from '../../model/bpf/isa.ts';
export { assemble, assembleDetailed, type AssembleOptions, type Assembled } from '../../model/bpf/assemble.ts';
export { disassemble, type DisassembleOptions } from '../../model/bpf/disassemble.ts';
export { compile, compileSource, type CompiledFilter } from '../../model/bpf/compile.ts';
export { makeProgram, type TierOptions } from '../../model/bpf/tiered.ts';
export { encodeBinary, decodeBinary, formatC, parseC, formatBpfAsm, parseBpfAsm, formatQuads } from '../../model/bpf/codec.ts';
export { loadProgram, detectFormat, INPUT_FORMATS, type InputFormat, type LoadedProgram } from '../../model/bpf/load.ts';
export { CTX_V7, CTX_V5 } from '../../model/abi/ctx.ts';
export type { Result, RfError, Verdict, Program, TraceStep, CtxField, CtxLayout, ProfileLike };
export { RULES };

/**
 * Would the kernel of `profile` accept these instructions as an io_uring filter
 * (IORING_REGISTER_BPF_FILTER)? On refusal: the errno the registration returns, the
 * rule (see {@link RULES}), the instruction index and a message. On acceptance: the
 * program as the kernel rewrote it, ready to run.
 */
export function validate(insns: Parameters<typeof validateFor>[0], profile: ProfileLike, opts: { ptrNull?: boolean } = {}): Verdict {
  return validateFor(insns, toProfile(profile), opts);
}

/**
 * The filter context the kernel of `profile` fills for a request of `opcode` (a name
 * such as 'SOCKET' or a number): opcode and pdu_size as io_uring sets them, plus the
 * named fields given (`{ 'socket.family': 2n, 'socket.type': 1n }`; the names are the layout's, see
 * {@link CTX_V7}). An unknown field or a value too wide is an error value.
 */
export function requestContext(profile: ProfileLike, opcode: string | number, fields: Readonly<Record<string, bigint>> = {}): Result<Uint32Array> {
  const p = toProfile(profile);
  const op = typeof opcode === 'number' ? opcode : Object.hasOwn(OP, opcode.replace(/^IORING_OP_/, '')) ? OP[opcode.replace(/^IORING_OP_/, '') as OpcodeName] : undefined;
  if (op === undefined) return { ok: false, error: rfError('name', `unknown opcode '${String(opcode)}'`) };
  const base: Array<[string, bigint]> = [['opcode', BigInt(op)]];
  if (findField(p.ctx, 'pdu_size')) base.push(['pdu_size', BigInt(pduSizeFor(p, op))]);
  return packContext(p.ctx, [...base, ...Object.entries(fields)]);
}

/**
 * Run an accepted program on a context: the u32 result (0 denies the request). With
 * `trace`, every executed instruction is reported with the machine state after it.
 */
export function runFilter(program: Program, ctx: Uint32Array, trace?: (step: TraceStep) => void): number {
  return interpret(program, ctx, trace) >>> 0;
}
