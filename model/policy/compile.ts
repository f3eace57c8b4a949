// From a policy to what a holder registers: legacy restriction entries and one cBPF
// filter per opcode that needs one, the same registrations for every target kernel.
// Whatever differs between kernels is asked of the profile data (which payloads a
// kernel passes, whether it masks SOCKET type, how many opcodes it has); a rule a
// target cannot express is an error naming the rule and the kernel.

import { rfError, type RfError, type Result, type SourceLoc } from '../errors.ts';
import { opcodeName, IORING_OP_LAST } from '../abi/opcodes.ts';
import { REG } from '../abi/register.ts';
import { FILTER_FLAGS, RESTRICTION, SQE_VALID_FLAGS } from '../abi/flags.ts';
import { BPF } from '../bpf/isa.ts';
import { insn, type Insn } from '../bpf/insn.ts';
import { validate } from '../bpf/validate.ts';
import { getProfile, PROFILES, opLastFor, registerOpLastFor, type KernelProfile } from '../profile/profiles.ts';
import type { Policy, Rule } from './ast.ts';
import { condFields, ctxFieldOf, findPolicyField, OPCODE_MEMBER, type PolicyField } from './fields.ts';
import { lower, not, type Expr } from './lower.ts';
import { codegen, TooFar } from './codegen.ts';

/** IORING_MAX_RESTRICTIONS (kernel-semantics.md §1.2). */
export const MAX_RESTRICTIONS = 107;

export interface LegacyEntry { type: number; value: number }

export interface Registration {
  opcode: number;
  /** DENY_REST on the last registration when the policy says `deny rest`. */
  flags: number;
  /** pdu_size to pass: the smallest the targets expect (non-strict, so a larger kernel size is accepted). */
  pdu: number;
  insns: Insn[];
  /** A name for listings and traces: `allow_SOCKET`. */
  name: string;
  /** What the program does, in words. */
  what: string;
  rule?: Rule;
}

export interface Compiled {
  policy: Policy;
  profiles: KernelProfile[];
  /** Legacy entries (IORING_REGISTER_RESTRICTIONS), or null when the policy needs none. */
  legacy: LegacyEntry[] | null;
  filters: Registration[];
  /** Notes for the reviewer (choices the compiler made). */
  notes: string[];
}

const RET = (v: number) => [insn(BPF.RET | BPF.K, 0, 0, v)];
const loc = (r: Rule | undefined, p: Policy): SourceLoc | undefined => r?.loc ?? p.locs?.header;

/** The condition each opcode's filter must allow on, as tests (allow iff), or null for none. */
export function ruleExpr(p: Policy, r: Rule, profiles: readonly KernelProfile[]): Expr {
  if (!r.cond) return { k: 'const', v: r.action === 'allow' };
  const offsets = (f: PolicyField) => ctxFieldOf(profiles[0], f)!.offset;
  const kernelMasksType = profiles.every((x) => x.socketTypeMasked);
  const e = lower(r.opcode, r.cond, offsets, { kernelMasksType });
  return r.action === 'allow' ? e : not(e);
}

export function compilePolicy(p: Policy): Result<Compiled, RfError[]> {
  const errors: RfError[] = [];
  const profiles = p.kernels.map((k) => getProfile(k)!);
  const notes: string[] = [];
  const hasFilters = p.rules.length > 0 || p.rest === 'deny';
  // Expressibility, per rule and target kernel.
  for (const k of profiles) {
    if (p.holder === 'task' && !k.taskRestrictions) {
      errors.push(rfError('invalid', `kernel ${k.name} has no task-level restrictions (holder=task): use holder=ring or drop ${k.name} from kernels`, p.locs?.holder ?? p.locs?.header, 'target kernels that support the holder'));
    }
    if (!k.bpfFilters) {
      for (const r of p.rules) errors.push(rfError('invalid', `kernel ${k.name} has no cBPF filters, so \`${r.action} ${opcodeName(r.opcode)}${r.cond ? ' if ...' : ''}\` cannot be expressed there`, loc(r, p), 'legacy parts only (sqe ops, sqe flags, register ops) for 6.18, or kernels=7.0.. for filter rules'));
      if (p.rest === 'deny') errors.push(rfError('invalid', `kernel ${k.name} has no cBPF filters, so \`deny rest\` (DENY_REST) cannot be expressed there`, p.locs?.rest, 'use `sqe ops` (legacy) on 6.18'));
      continue;
    }
    for (const r of p.rules) {
      if (!r.cond) continue;
      const member = OPCODE_MEMBER[r.opcode];
      if (k.payloads[r.opcode] !== member) {
        const having = Object.values(PROFILES).filter((x) => x.payloads[r.opcode] === member).map((x) => x.name);
        const from = having.length ? ` (kernels that pass it: ${having.join(', ')})` : '';
        errors.push(rfError('invalid', `kernel ${k.name} passes no ${opcodeName(r.opcode)} payload to filters, so the condition of \`${r.action} ${opcodeName(r.opcode)} if ...\` cannot be checked there${from}`, loc(r, p), `kernels that pass the ${member} payload (drop ${k.name} from kernels)`));
        continue;
      }
      for (const name of new Set(condFields(r.cond))) {
        const f = findPolicyField(r.opcode, name)!;
        const cf = ctxFieldOf(k, f);
        const cf0 = ctxFieldOf(profiles.find((x) => x.bpfFilters)!, f);
        if (!cf || !cf0 || cf.offset !== cf0.offset) errors.push(rfError('invalid', `kernel ${k.name} lays out ${f.ctx} differently from the other targets; one program cannot serve them`, loc(r, p), 'targets with one context layout'));
      }
    }
  }
  // A rule for an opcode the legacy SQE op list never admits can never apply.
  if (p.sqeOps) for (const r of p.rules) if (!p.sqeOps.includes(r.opcode) && (r.action === 'allow' || r.cond)) {
    errors.push(rfError('invalid', `the rule for ${opcodeName(r.opcode)} contradicts \`sqe ops\`, which does not list ${opcodeName(r.opcode)}: the legacy check denies it first`, loc(r, p), `${opcodeName(r.opcode)} in \`sqe ops\`, or no rule for it`));
  }
  if (errors.length) return { ok: false, error: errors };
  const bpf = profiles.filter((x) => x.bpfFilters);
  const filters: Registration[] = [];
  const ruled = new Set(p.rules.map((r) => r.opcode));
  const opLast = Math.min(...profiles.map(opLastFor));
  const carrier = p.rest === 'deny' ? Array.from({ length: IORING_OP_LAST }, (_, i) => i).find((i) => !ruled.has(i)) : undefined;
  const pduFor = (op: number) => Math.min(...bpf.map((k) => k.pduSizes[op] ?? 0));
  if (hasFilters && bpf.length) {
    for (const r of p.rules) {
      let e: Expr;
      try { e = ruleExpr(p, r, bpf); } catch (x) { throw x; }
      if (e.k === 'const') {
        // Unconditional: a filter only where the default would say otherwise.
        const restAllows = p.rest === 'allow' || carrier === undefined;
        if (e.v === restAllows) continue;
        filters.push({ opcode: r.opcode, flags: 0, pdu: pduFor(r.opcode), insns: RET(e.v ? 1 : 0), name: `${e.v ? 'allow' : 'deny'}_${opcodeName(r.opcode)}`, what: e.v ? 'allows every request' : 'denies every request', rule: r });
        continue;
      }
      let insns: Insn[];
      try { insns = codegen(e); } catch (x) {
        if (x instanceof TooFar) { errors.push(rfError('invalid', `the condition for ${opcodeName(r.opcode)} is too large for one cBPF program: ${x.message}`, loc(r, p), 'a smaller condition')); continue; }
        throw x;
      }
      filters.push({ opcode: r.opcode, flags: 0, pdu: pduFor(r.opcode), insns, name: `${r.action}_${opcodeName(r.opcode)}_if`, what: 'decides on the payload', rule: r });
    }
    if (carrier !== undefined) {
      if (filters.length === 0) {
        filters.push({ opcode: carrier, flags: 0, pdu: pduFor(carrier), insns: RET(0), name: 'deny_rest', what: `denies ${opcodeName(carrier)} and, with DENY_REST, every opcode without a filter` });
        notes.push(`the policy has no filter to carry DENY_REST, so a deny-all filter for ${opcodeName(carrier)} (an opcode the default denies) carries it`);
      }
      filters[filters.length - 1].flags |= FILTER_FLAGS.DENY_REST;
    }
  }
  // Legacy entries.
  let legacy: LegacyEntry[] | null = null;
  const preSplit = profiles.some((k) => k.legacy === 'pre-7.0');
  const sqeClass = p.sqeOps !== undefined || p.sqeFlags !== undefined || (preSplit && p.registerOps !== undefined);
  const regClass = p.registerOps !== undefined || (preSplit && sqeClass);
  if (sqeClass || regClass) {
    legacy = [];
    if (sqeClass) {
      if (p.sqeOps === undefined && new Set(profiles.map(opLastFor)).size > 1) {
        errors.push(rfError('invalid', `the targets have different opcode counts (${profiles.map((k) => `${k.name}: ${opLastFor(k)}`).join(', ')}), so "every opcode" has no one SQE op list`, p.locs?.sqeFlags ?? p.locs?.registerOps, 'an explicit `sqe ops` list'));
      }
      for (const op of p.sqeOps ?? Array.from({ length: opLast }, (_, i) => i)) {
        const bad = profiles.find((k) => op >= opLastFor(k));
        if (bad) errors.push(rfError('invalid', `kernel ${bad.name} has no opcode ${opcodeName(op)} (it has ${opLastFor(bad)})`, p.locs?.sqeOps, 'opcodes every target has'));
        legacy.push({ type: RESTRICTION.SQE_OP, value: op });
      }
      const fl = p.sqeFlags ?? { allowed: SQE_VALID_FLAGS, required: 0 };
      // Without an SQE_FLAGS_ALLOWED entry the kernel allows no flag at all.
      if (fl.allowed) legacy.push({ type: RESTRICTION.SQE_FLAGS_ALLOWED, value: fl.allowed });
      if (fl.required) legacy.push({ type: RESTRICTION.SQE_FLAGS_REQUIRED, value: fl.required });
      if (p.sqeFlags === undefined) notes.push('no `sqe flags` line: every SQE flag stays allowed (an SQE_FLAGS_ALLOWED entry of 0x7f)');
    }
    if (regClass) {
      // The twin of the SQE op case above: a pre-7.0 target makes every register op need
      // listing, and targets that know different register ops have no one such list.
      if (p.registerOps === undefined && new Set(profiles.map(registerOpLastFor)).size > 1) {
        errors.push(rfError('invalid', `the targets have different register op counts (${profiles.map((k) => `${k.name}: ${registerOpLastFor(k)}`).join(', ')}), so "every register op" has no one register op list`, p.locs?.sqeOps ?? p.locs?.sqeFlags, 'an explicit `register ops` list'));
      }
      const regLast = Math.min(...profiles.map(registerOpLastFor));
      for (const op of p.registerOps ?? Array.from({ length: regLast }, (_, i) => i)) {
        const bad = profiles.find((k) => op >= registerOpLastFor(k));
        if (bad) errors.push(rfError('invalid', `kernel ${bad.name} has no register op ${op}`, p.locs?.registerOps, 'register ops every target has'));
        legacy.push({ type: RESTRICTION.REGISTER_OP, value: op });
      }
      if (p.registerOps === undefined) notes.push('a pre-7.0 target checks register ops once any entry is given: every register op is listed');
    }
    if (legacy.length > MAX_RESTRICTIONS) errors.push(rfError('invalid', `${legacy.length} legacy entries, more than IORING_MAX_RESTRICTIONS (${MAX_RESTRICTIONS})`, p.locs?.sqeOps, 'fewer entries'));
    // 7.3 checks a task's BPF registration against the task's own register list.
    if (p.holder === 'task' && filters.length && p.registerOps !== undefined && !p.registerOps.includes(REG.BPF_FILTER)) {
      const k = profiles.find((x) => x.taskRegisterCheckedAgainstOwnList);
      if (k) errors.push(rfError('invalid', `kernel ${k.name} checks the task's own register list before a task filter registration, and BPF_FILTER is not in it, so the filters could not be installed after the legacy restrictions`, p.locs?.registerOps, 'BPF_FILTER in `register ops`, or no register list'));
    }
  }
  for (const f of filters) for (const k of bpf) {
    const v = validate(f.insns, k);
    if (!v.ok) errors.push(rfError('internal', `the emitted filter ${f.name} is not accepted by ${k.name}: ${v.message}`));
  }
  if (errors.length) return { ok: false, error: errors };
  return { ok: true, value: { policy: p, profiles, legacy, filters, notes } };
}
