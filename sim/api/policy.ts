/**
 * `ringfence/policy`: what a holder (a task, or a task's ring) may still do once a
 * trace has run: for every opcode, allowed, denied, or allowed on which conditions,
 * from the legacy restrictions and a symbolic analysis of the cBPF filters in force.
 *
 * The policy compiler (from an intent in the policy language to restrictions and
 * filters, with a proof that they mean it) is here too: parsePolicy, compilePolicy, prove.
 *
 * @example
 * ```ts
 * import { parseTraces } from 'ringfence';
 * import { policyOf } from 'ringfence/policy';
 *
 * const file = parseTraces(`
 * trace inet-only kernels=7.3
 *   program inet
 *     0x20:0:0:16
 *     0x15:0:1:AF_INET
 *     0x06:0:0:1
 *     0x06:0:0:0
 *   end
 *   nnp => 0
 *   bpf task op=SOCKET inet => 0
 * end
 * `);
 * if (!file.ok) throw new Error(file.error[0].message);
 * const p = policyOf(file.value.traces[0], '7.3', { task: 'init' });
 * if (!p.ok) throw new Error(p.error.message);
 * const socket = p.value.opcodes.find((o) => o.name === 'SOCKET');
 * console.log(socket?.verdict, socket?.condition);   // conditional, on the family field
 * ```
 * @module ringfence/policy
 */

import type { Result, RfError } from '../../model/errors.ts';
import type { Trace } from '../trace/ast.ts';
import { holderAt } from '../explore/policy/holder.ts';
import { holderPolicy, type FilterVerdict, type OpcodePolicy } from '../explore/policy/policy.ts';
import { toProfile, type ProfileLike } from './profile.ts';

export type { Result, RfError, Trace, FilterVerdict, OpcodePolicy, ProfileLike };

/** Whose policy: a task of the trace, and optionally one of its rings (by the trace's names). */
export interface Holder {
  task: string;
  ring?: string;
}

/** A holder's policy after a trace's commands (or after command `at`). */
export interface Policy {
  /** The holder in words ("task init", "ring r of task c"). */
  holder: string;
  /** Caveats of the analysis (outcomes the reference model does not state, ...). */
  notes: string[];
  /** One entry per opcode of the profile. */
  opcodes: OpcodePolicy[];
}

/**
 * What `who` may still do after the commands of `trace` up to index `at` (default: all),
 * under the kernel `profile`. An `at` outside the trace is an error value.
 */
export function policyOf(trace: Trace, profile: ProfileLike, who: Holder, at?: number): Result<Policy> {
  const p = toProfile(profile);
  const h = holderAt(trace, p, who, at);
  if (!h.ok) return h;
  return { ok: true, value: { holder: h.value.description, notes: h.value.notes, opcodes: holderPolicy(p, h.value.policy) } };
}

// The policy compiler (model/policy/, docs/policy.md): from an intent written in the
// policy language (or its JSON form) to registrations, proven to mean the intent on
// every target kernel, and the C, trace and summary emitted from them.
export { parsePolicy } from '../../model/policy/parse.ts';
export { fromJson as policyFromJson, toJson as policyToJson, type PolicyJson } from '../../model/policy/json.ts';
export { printPolicy } from '../../model/policy/print.ts';
export { compilePolicy, type Compiled, type Registration, type LegacyEntry } from '../../model/policy/compile.ts';
export { prove, type ProofResult, type Counterexample } from '../../model/policy/prove.ts';
export { intentAllows, type FieldValues } from '../../model/policy/evaluate.ts';
export type { Policy as PolicyIntent, Cond, Rule } from '../../model/policy/ast.ts';
export { emitC } from '../policy/c.ts';
export { emitTrace, type EmittedTrace, type TraceOptions } from '../policy/trace.ts';
export { summarize, summaryText, type Summary } from '../policy/summary.ts';
