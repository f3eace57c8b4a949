/**
 * `ringfence/testing`: fast-check arbitraries of ringfence's inputs (traces, cBPF
 * programs, filter contexts, system-call command sequences) and {@link replayProperty},
 * for model-based tests in your own suite. fast-check (4.x) is a peer dependency of this
 * entry: install it beside ringfence (`npm install -D fast-check`).
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { traces, replayProperty, programs, contexts, kernelModel } from 'ringfence/testing';
 * import { validate, runFilter } from 'ringfence/bpf';
 *
 * // Whatever a task does, the simulated kernel's invariants hold (replayProperty's default check).
 * fc.assert(replayProperty(traces({ profile: '7.3' })), { numRuns: 50 });
 *
 * // Every generated program is one the 7.3 kernel accepts, and it runs on any context.
 * fc.assert(fc.property(programs(), contexts('7.3'), (insns, ctx) => {
 *   const v = validate(insns, '7.3');
 *   return v.ok && runFilter(v.program, ctx) >= 0;
 * }), { numRuns: 50 });
 *
 * // Model-based: random call sequences agree between the kernel model and the reference model.
 * const m = kernelModel('7.3', { maxCommands: 10 });
 * fc.assert(fc.property(m.commands, (cmds) => m.run(cmds)), { numRuns: 20 });
 * ```
 * @module ringfence/testing
 */

import fc from 'fast-check';
import type { Insn } from '../../model/bpf/insn.ts';
import { contextWords, findField, writeField } from '../../model/bpf/context.ts';
import { DEFAULT_PROFILE, pduSizeFor } from '../../model/profile/profiles.ts';
import { OP } from '../../model/abi/opcodes.ts';
import type { Trace } from '../trace/ast.ts';
import { replayPassed, type ReplayResult } from '../trace/replay.ts';
import type { UniverseSpec } from '../explore/universe.ts';
import { anyInsn, ctxFor, u32, validProgram } from '../testing/programs.ts';
import { traceArbitrary } from '../testing/traces.ts';
import { kernelModel as makeKernelModel, type KernelCommand, type KernelModel, type KernelModelState, type KernelRealState } from '../testing/commands.ts';
import { replay } from './index.ts';
import { toProfile, type ProfileLike } from './profile.ts';

export type { Insn, Trace, ReplayResult, ProfileLike, UniverseSpec, KernelCommand, KernelModel, KernelModelState, KernelRealState };

/** Options of {@link traces}. */
export interface TracesOptions {
  /** The kernel profile the traces are for (default 7.3); their `kernels=` names it. */
  profile?: ProfileLike;
  /** Most commands in a trace (default 12). */
  maxCommands?: number;
  /** The moves to draw from (tasks, rings, opcodes, programs, ...); default: the explorer's default universe. */
  universe?: Partial<UniverseSpec>;
}

/**
 * Traces of rings, restrictions, filters, SQEs, forks and privilege changes, which
 * shrink to short ones. A counterexample prints as trace text `ringfence replay` runs.
 */
export function traces(opts: TracesOptions = {}): fc.Arbitrary<Trace> {
  return traceArbitrary(toProfile(opts.profile ?? DEFAULT_PROFILE), { maxCommands: opts.maxCommands, universe: opts.universe });
}

/** Any 8-byte instruction (code, jt, jf, k): garbage included, for robustness properties. */
export function instructions(): fc.Arbitrary<Insn> {
  return anyInsn;
}

/** Options of {@link programs}. */
export interface ProgramsOptions {
  /** Context size in bytes the program may load from (default 40, the 7.x layout; v5 has 64). */
  ctxSize?: number;
  /** Most instructions before the final return (default 24). */
  maxLength?: number;
}

/**
 * cBPF programs io_uring accepts: instructions from its allow list, forward jumps in
 * range, scratch cells written before they are read, a final return.
 */
export function programs(opts: ProgramsOptions = {}): fc.Arbitrary<Insn[]> {
  return validProgram(opts.ctxSize ?? 40, opts.maxLength ?? 24);
}

/**
 * Filter contexts (little-endian u32 words) of `profile`: random payload words, with
 * the opcode and pdu_size the kernel fills in for a request of `opcode` (default: any
 * opcode). With `program`, words are often the constants it compares against.
 */
export function contexts(profile: ProfileLike = DEFAULT_PROFILE, opts: { opcode?: number; program?: readonly Insn[] } = {}): fc.Arbitrary<Uint32Array> {
  const p = toProfile(profile);
  const words = p.ctx.size / 4;
  const payload = opts.program ? ctxFor(opts.program, words) : fc.array(u32, { minLength: words, maxLength: words }).map((w) => Uint32Array.from(w));
  const opcode = opts.opcode === undefined ? fc.integer({ min: 0, max: Object.keys(OP).length - 1 }) : fc.constant(opts.opcode);
  const opField = findField(p.ctx, 'opcode');
  const pduField = findField(p.ctx, 'pdu_size');
  return fc.tuple(payload, opcode).map(([w, op]) => {
    const bytes = new Uint8Array(w.buffer.slice(0));
    if (opField) writeField(bytes, opField, BigInt(op));
    if (pduField) writeField(bytes, pduField, BigInt(pduSizeFor(p, op)));
    return contextWords(bytes);
  });
}

/** System-call command sequences run on the kernel model and the reference model side by side. */
export function kernelModel(profile: ProfileLike = DEFAULT_PROFILE, opts: { maxCommands?: number } = {}): KernelModel {
  return makeKernelModel(toProfile(profile), opts);
}

/** Options of {@link replayProperty}. */
export interface ReplayPropertyOptions {
  /** The kernel profile to replay under (default 7.3). */
  profile?: ProfileLike;
  /** Check the kernel model's invariants after every command (default true). */
  invariants?: boolean;
}

/**
 * A property: every trace `arb` generates replays on the simulated kernel, and `check`
 * holds of the result (returns true or nothing, or throws). The default check is
 * {@link replayPassed}: expectations hold, names resolve, no invariant breaks.
 */
export function replayProperty(
  arb: fc.Arbitrary<Trace>,
  check: (result: ReplayResult) => boolean | void = replayPassed,
  opts: ReplayPropertyOptions = {},
): fc.IPropertyWithHooks<[Trace]> {
  const profile = toProfile(opts.profile ?? DEFAULT_PROFILE);
  return fc.property(arb, (trace) => check(replay(trace, profile, { invariants: opts.invariants ?? true })));
}
