// `--onto`: compiling a policy for a holder that already carries restrictions.
// Filters only restrict, so what the holder ends with is the intent AND what it
// already has. Per opcode and target kernel this module says where the intent is
// needed (the holder can still do something the intent forbids), already stricter
// (the holder forbids all the intent forbids) or unreachable (the intent allows
// something the holder may never do again), emits registrations for the needed part
// only, and proves that existing + emitted mean exactly intent AND existing.
//
// The holder's state comes from outside (sim/policy/holder.ts replays a trace); here
// it is plain data, so this stays pure.

import { rfError, type RfError, type Result } from '../errors.ts';
import { opcodeName } from '../abi/opcodes.ts';
import { FILTER_FLAGS } from '../abi/flags.ts';
import { BPF } from '../bpf/isa.ts';
import { insn, type Insn } from '../bpf/insn.ts';
import { knownFor } from '../bpf/symbolic.ts';
import { validate } from '../bpf/validate.ts';
import { opLastFor, registerOpLastFor, type KernelProfile } from '../profile/profiles.ts';
import type { Policy } from './ast.ts';
import { compilePolicy, ruleExpr, type Compiled, type Registration } from './compile.ts';
import { legacyFlagsAllowed, legacyOpAllowed, registerOpAllowed, ruleAllows } from './evaluate.ts';
import { chainAllows, contextFields, intentFormula, legacyAfter, programFormula, type Counterexample, type ProofResult, type Verdict } from './prove.ts';
import { findDifference, simplify, type Assignment, type Formula, type SolveStats } from './solve.ts';

/** One slot's filters, newest (runs first) to oldest; 'DENY' is the DENY_REST sentinel, always last. */
export type Chain = readonly ('DENY' | readonly Insn[])[];

/** The legacy restrictions a holder's SQE and register checks apply (null: that check is off). */
export interface HolderLegacy {
  sqe: { ops: readonly number[]; allowed: number; required: number } | null;
  registerOps: readonly number[] | null;
}

/** What a holder already carries on one kernel. */
export interface Existing {
  profile: KernelProfile;
  /** Per opcode (0..opLastFor(profile)-1): its chain; [] for an empty slot. */
  slots: readonly Chain[];
  legacy: HolderLegacy;
  /** Why the kernel would refuse a legacy registration on this holder now, or null when it would take one. */
  legacyRefused: string | null;
}

export const existingOpAllowed = (e: Existing, op: number) => !e.legacy.sqe || e.legacy.sqe.ops.includes(op);
export const existingFlagsAllowed = (e: Existing, f: number) => {
  const s = e.legacy.sqe;
  return !s || ((f & s.required) === s.required && (f & ~(s.allowed | s.required)) === 0);
};
export const existingRegAllowed = (e: Existing, r: number) => !e.legacy.registerOps || e.legacy.registerOps.includes(r);

/** Whether the holder lets a request through today (legacy op and flag checks, then every filter), by the VM. */
export function existingAllows(e: Existing, op: number, words: Uint32Array, sqeFlags = 0): boolean {
  return existingOpAllowed(e, op) && existingFlagsAllowed(e, sqeFlags) && chainAllows(e.profile, [...(e.slots[op] ?? [])] as (Insn[] | 'DENY')[], words);
}

/** A context (field values) that shows a region: which kernel, what the kernel passes. */
export interface Example { kernel: string; fields: Record<string, string> }

export interface OpcodeOnto {
  opcode: number;
  /** The holder can still do this, the intent forbids it: registrations are emitted for the opcode. */
  needed: Example | null;
  /** The intent allows this, the holder may never do it again (a warning: the result is stricter than the intent). */
  unreachable: Example | null;
  /** The intent forbids something for this opcode and the holder already forbids all of it. */
  stricter: boolean;
  /** Some existing filter is not expressible on fields: taken as needed, and proven whatever it means. */
  opaque?: boolean;
}

export interface LegacyOnto {
  part: 'sqe ops' | 'sqe flags' | 'register ops';
  /** The policy states this part (else the intent allows everything there). */
  stated: boolean;
  /** What the holder can still do that this part forbids, in words, or null (already stricter). */
  needed: string | null;
  unreachable: string | null;
}

export interface OntoCompiled extends Compiled {
  /** Only what is needed: `filters` and `legacy` are the registrations to add. */
  existing: Existing[];
  opcodes: OpcodeOnto[];
  legacyParts: LegacyOnto[];
}

const F = (v: boolean): Formula => ({ k: 'const', v });
const and = (xs: Formula[]): Formula => ({ k: 'and', xs });
const RET = (v: number) => [insn(BPF.RET | BPF.K, 0, 0, v)];

/**
 * An existing filter the symbolic analysis cannot state on fields becomes one free
 * bit beyond the context (the same bit on both sides of a comparison), so the proof
 * holds whatever that filter decides.
 */
function knownPlus(k: KernelProfile, op: number): Assignment {
  const base = knownFor(k, op);
  const n = base.mask.length;
  const mask = new Uint32Array(n + 1), value = new Uint32Array(n + 1);
  mask.set(base.mask); value.set(base.value);
  return { mask, value };
}
const opaqueBit = (k: KernelProfile): Formula => ({ k: 'atom', a: { bits: [{ w: k.ctx.size / 4, s: 0, e: 0 }], rel: 'eq', v: 1 } });

/** A chain as a formula: every filter must allow. */
function chainFormula(k: KernelProfile, op: number, chain: Chain): { f: Formula; opaque: boolean } {
  let opaque = false;
  const xs = chain.map((x) => {
    if (x === 'DENY') return F(false);
    const pf = programFormula(k, op, x);
    if (!pf) { opaque = true; return opaqueBit(k); }
    return pf;
  });
  return { f: and(xs), opaque };
}

/** The intent for one opcode (its legacy op list included, unless `withoutLegacy`). */
export function intentOpFormula(p: Policy, k: KernelProfile, op: number, withoutLegacy = false): Formula {
  if (!withoutLegacy && !legacyOpAllowed(p, op)) return F(false);
  const r = p.rules.find((x) => x.opcode === op);
  if (!r) return F(p.rest === 'allow');
  if (!r.cond) return F(r.action === 'allow');
  const f = intentFormula(k, op, r.cond);
  return r.action === 'allow' ? f : { k: 'not', x: f };
}

const show = (k: KernelProfile, op: number, words: Uint32Array): Example => ({
  kernel: k.name,
  fields: Object.fromEntries(Object.entries(contextFields(k, op, words.slice(0, k.ctx.size / 4))).map(([n, v]) => [n, `0x${v.toString(16)}`])),
});

/** Whether f can hold on some context. */
const sat = (f: Formula, known: Assignment, stats: SolveStats) => findDifference(f, F(false), known, stats);

function legacyParts(p: Policy, ex: Existing[]): LegacyOnto[] {
  const out: LegacyOnto[] = [];
  const first = <T>(xs: T[], pred: (x: T) => boolean) => xs.find(pred);
  for (const part of ['sqe ops', 'sqe flags', 'register ops'] as const) {
    let needed: string | null = null, unreachable: string | null = null;
    for (const e of ex) {
      const k = e.profile;
      const pairs: [string, boolean, boolean][] = part === 'sqe ops'
        ? Array.from({ length: opLastFor(k) }, (_, op) => [opcodeName(op), legacyOpAllowed(p, op), existingOpAllowed(e, op)])
        : part === 'sqe flags'
          ? Array.from({ length: 0x80 }, (_, f) => [`SQE flags 0x${f.toString(16)}`, legacyFlagsAllowed(p, f), existingFlagsAllowed(e, f)])
          : Array.from({ length: registerOpLastFor(k) }, (_, r) => [`register op ${r}`, registerOpAllowed(p, r), existingRegAllowed(e, r)]);
      needed ??= first(pairs, ([, i, x]) => x && !i)?.[0].concat(` on ${k.name}`) ?? null;
      unreachable ??= first(pairs, ([, i, x]) => i && !x)?.[0].concat(` on ${k.name}`) ?? null;
    }
    const stated = part === 'sqe ops' ? p.sqeOps : part === 'sqe flags' ? p.sqeFlags : p.registerOps;
    if (stated !== undefined || needed || unreachable) out.push({ part, stated: stated !== undefined, needed, unreachable });
  }
  return out;
}

/** Compile `p` onto holders that already carry `existing` (one per target kernel, in p.kernels order). */
export function compileOnto(p: Policy, existing: Existing[]): Result<OntoCompiled, RfError[]> {
  const base = compilePolicy(p);
  if (!base.ok) return base;
  const c = base.value;
  const errors: RfError[] = [];
  const notes: string[] = [];
  const stats: SolveStats = { nodes: 0 };
  const bpf = existing.filter((e) => e.profile.bpfFilters);
  // Legacy parts: already implied, registrable, or (for the SQE op list) expressed as filters.
  const lparts = legacyParts(p, existing);
  const legacyNeeded = lparts.some((l) => l.needed);
  const refused = existing.find((e) => e.legacyRefused)?.legacyRefused ?? null;
  const emitLegacy = legacyNeeded && refused === null;
  if (legacyNeeded && refused !== null) {
    for (const l of lparts) if (l.needed && l.part !== 'sqe ops') {
      const loc = l.part === 'sqe flags' ? p.locs?.sqeFlags : p.locs?.registerOps;
      errors.push(rfError('invalid', `the holder can still use ${l.needed}, which \`${l.part}\` forbids, but ${refused}; filters cannot express ${l.part}`, loc ?? p.locs?.header, `a policy without \`${l.part}\`, or a holder that can still take legacy restrictions`));
    }
    if (lparts.some((l) => l.needed && l.part === 'sqe ops')) notes.push(`the holder cannot take legacy restrictions (${refused}): the opcodes \`sqe ops\` leaves out are denied by filters instead`);
  }
  if (errors.length) return { ok: false, error: errors };
  // Per opcode and kernel: the intent, what the holder allows, and the two regions.
  const opLast = Math.max(...existing.map((e) => opLastFor(e.profile)));
  const minOpLast = Math.min(...bpf.map((e) => opLastFor(e.profile)));
  const opcodes: OpcodeOnto[] = [];
  const neededOn: boolean[][] = [];
  for (let op = 0; op < opLast; op++) {
    const o: OpcodeOnto = { opcode: op, needed: null, unreachable: null, stricter: false };
    const per: boolean[] = [];
    let forbids = false;
    for (const e of existing) {
      const k = e.profile;
      if (op >= opLastFor(k)) { per.push(false); continue; }
      const known = knownPlus(k, op);
      const I = intentOpFormula(p, k, op);
      const { f: chain, opaque } = k.bpfFilters ? chainFormula(k, op, e.slots[op] ?? []) : { f: F(true), opaque: false };
      const X = existingOpAllowed(e, op) ? chain : F(false);
      if (opaque) o.opaque = true;
      const notI: Formula = { k: 'not', x: I };
      const need = sat(and([X, notI]), known, stats);
      const unreach = sat(and([I, { k: 'not', x: X }]), known, stats);
      if (sat(notI, known, stats)) forbids = true;
      if (need && !o.needed) o.needed = show(k, op, need.words);
      if (unreach && !o.unreachable && !(opaque && simplify(X).k !== 'const')) o.unreachable = show(k, op, unreach.words);
      per.push(need !== null);
    }
    o.stricter = forbids && !o.needed;
    opcodes.push(o);
    neededOn.push(per);
  }
  // What to emit. With legacy entries emitted, the SQE op list denies what it leaves out.
  const byLegacy = (op: number) => emitLegacy && !legacyOpAllowed(p, op);
  const ruleFilter = new Map(c.filters.filter((f) => f.rule?.cond).map((f) => [f.opcode, f]));
  const pduFor = (op: number) => Math.min(...bpf.map((e) => e.profile.pduSizes[op] ?? 0));
  const kind = (op: number): 'cond' | 'deny' | 'allow' => {
    if (!legacyOpAllowed(p, op) && !emitLegacy) return 'deny';
    const r = p.rules.find((x) => x.opcode === op);
    if (!r) return p.rest === 'allow' ? 'allow' : 'deny';
    if (!r.cond) return r.action;
    // A condition that holds always or never (`family in {0..65535}`) lowers to a constant.
    const e = ruleExpr(p, r, bpf.map((x) => x.profile));
    return e.k === 'const' ? (e.v ? 'allow' : 'deny') : 'cond';
  };
  const slotEmpty = (e: Existing, op: number) => (e.slots[op] ?? []).length === 0;
  const conds: Registration[] = [];
  const denies: number[] = [];
  for (let op = 0; op < opLast; op++) {
    if (byLegacy(op) || !neededOn[op].some(Boolean)) continue;
    const kd = kind(op);
    if (kd === 'cond') conds.push({ ...ruleFilter.get(op)!, flags: 0 });
    // (a conditional rule always has its filter in the fresh compile: only constant ones are left out there)
    else if (kd === 'deny') denies.push(op);
  }
  // DENY_REST fills the slots empty at the moment of the registration: it can stand in
  // for the deny-all filters of opcodes whose slot is empty wherever they are needed,
  // at the price of an allow-all filter for each empty slot the combination must keep open.
  const coverable = denies.filter((op) => existing.every((e, i) => !neededOn[op][i] || slotEmpty(e, op)));
  const explicit = (ops: number[]) => ops.filter((op) => op < minOpLast);
  const deny = (op: number, flags = 0): Registration => ({ opcode: op, flags, pdu: pduFor(op), insns: RET(0), name: `deny_${opcodeName(op)}`, what: 'denies every request' });
  const allow = (op: number): Registration => ({ opcode: op, flags: 0, pdu: pduFor(op), insns: RET(1), name: `keep_${opcodeName(op)}`, what: 'allows every request, so that DENY_REST leaves its slot open' });
  let filters: Registration[] = [...conds, ...explicit(denies).map((op) => deny(op))];
  if (coverable.length && bpf.length) {
    const emitted = new Set(conds.map((f) => f.opcode));
    const keepers: number[] = [];
    for (let op = 0; op < minOpLast; op++) {
      if (emitted.has(op) || coverable.includes(op)) continue;
      if (denies.includes(op)) continue;
      const open = bpf.some((e) => slotEmpty(e, op) && sat(and([existingOpAllowed(e, op) ? F(true) : F(false), byLegacy(op) ? F(false) : intentOpFormula(p, e.profile, op)]), knownPlus(e.profile, op), stats));
      if (open) keepers.push(op);
    }
    const rest = denies.filter((op) => !coverable.includes(op));
    const withRest = [...conds, ...explicit(rest).map((op) => deny(op)), ...keepers.map(allow)];
    const cost = withRest.length === 0 ? 1 : withRest.length;
    if (cost < filters.length || explicit(denies).length < denies.length) {
      withRest.sort((a, b) => a.opcode - b.opcode);
      if (withRest.length === 0) withRest.push(deny(coverable[0]));
      withRest[withRest.length - 1] = { ...withRest[withRest.length - 1], flags: withRest[withRest.length - 1].flags | FILTER_FLAGS.DENY_REST };
      filters = withRest;
      if (keepers.length) notes.push(`DENY_REST closes ${coverable.length} empty slot(s); ${keepers.length} allow-all filter(s) keep the slots the combination leaves open`);
    }
  }
  filters.sort((a, b) => a.opcode - b.opcode || (a.flags & 1) - (b.flags & 1));
  // The flag must ride on the last registration (§2.4 E): move its carrier there.
  const carrier = filters.findIndex((f) => f.flags & FILTER_FLAGS.DENY_REST);
  if (carrier >= 0) filters.push(...filters.splice(carrier, 1));
  for (const f of filters) for (const e of bpf) {
    const v = validate(f.insns, e.profile);
    if (!v.ok) errors.push(rfError('internal', `the emitted filter ${f.name} is not accepted by ${e.profile.name}: ${v.message}`));
  }
  if (filters.length && !bpf.length) errors.push(rfError('invalid', 'the targets have no cBPF filters, so the needed part cannot be added', p.locs?.kernels ?? p.locs?.header, 'kernels=7.0.. or later'));
  if (errors.length) return { ok: false, error: errors };
  return { ok: true, value: { ...c, notes: [...(emitLegacy ? c.notes.filter((n) => !n.startsWith('the policy has no filter')) : []), ...notes], legacy: emitLegacy ? c.legacy : null, filters, existing, opcodes, legacyParts: lparts } };
}

/** The holder's table after the registrations are added to what it has (§2.4 E): newest first, DENY_REST fills empty slots. */
export function slotsAfter(e: Existing, filters: readonly Registration[]): { chain: Chain; emitted: (readonly Insn[])[]; filled: boolean }[] {
  const n = opLastFor(e.profile);
  const out = Array.from({ length: n }, (_, op) => ({ chain: [...(e.slots[op] ?? [])] as Chain, emitted: [] as (readonly Insn[])[], filled: false }));
  for (const r of filters) {
    if (r.opcode >= n) continue;
    out[r.opcode].chain = [r.insns, ...out[r.opcode].chain];
    out[r.opcode].emitted.unshift(r.insns);
    if (r.flags & FILTER_FLAGS.DENY_REST) for (let i = 0; i < n; i++) if (i !== r.opcode && out[i].chain.length === 0) { out[i].chain = ['DENY']; out[i].filled = true; }
  }
  return out;
}

/**
 * The proof for --onto: on every target kernel, the registrations the holder ends with
 * (existing + emitted) allow exactly what the intent AND the existing registrations
 * allow, for every opcode, every context, every SQE flag value and every register op.
 */
export function proveOnto(oc: OntoCompiled): ProofResult {
  const p = oc.policy;
  const failures: Counterexample[] = [];
  const verdicts: Record<string, Verdict[]> = {};
  const stats: SolveStats = { nodes: 0 };
  for (const e of oc.existing) {
    const k = e.profile;
    const emitted = oc.legacy ? legacyAfter(k, oc.legacy) : null;
    const opAllowed = (op: number) => (emitted ? emitted.opAllowed(op) : true) && existingOpAllowed(e, op);
    const flagsAllowed = (f: number) => (emitted ? emitted.flagsAllowed(f) : true) && existingFlagsAllowed(e, f);
    const regAllowed = (r: number) => (emitted ? emitted.regAllowed(r) : true) && existingRegAllowed(e, r);
    for (let f = 0; f < 0x80; f++) {
      const want = legacyFlagsAllowed(p, f) && existingFlagsAllowed(e, f), got = flagsAllowed(f);
      if (want !== got) { failures.push({ kernel: k.name, opcode: -1, part: 'sqe_flags', sqeFlags: f, intent: want, emitted: got, message: `SQE flags 0x${f.toString(16)} on ${k.name}: intent AND existing ${want ? 'allow' : 'deny'} them, the holder ends ${got ? 'allowing' : 'denying'} them` }); break; }
    }
    for (let r = 0; r < registerOpLastFor(k); r++) {
      const want = registerOpAllowed(p, r) && existingRegAllowed(e, r), got = regAllowed(r);
      if (want !== got) failures.push({ kernel: k.name, opcode: -1, part: 'register_op', registerOp: r, intent: want, emitted: got, message: `register op ${r} on ${k.name}: intent AND existing ${want ? 'allow' : 'deny'} it, the holder ends ${got ? 'allowing' : 'denying'} it` });
    }
    const after = k.bpfFilters ? slotsAfter(e, oc.filters) : null;
    const vs: Verdict[] = [];
    for (let op = 0; op < opLastFor(k); op++) {
      const known = knownPlus(k, op);
      const I = intentOpFormula(p, k, op);
      const old = k.bpfFilters ? chainFormula(k, op, e.slots[op] ?? []).f : F(true);
      const want = existingOpAllowed(e, op) ? and([I, old]) : F(false);
      let got: Formula = F(false);
      if (opAllowed(op)) {
        const s = after?.[op];
        if (!s) got = F(true);
        else if (s.filled) got = F(false);
        else {
          const parts: Formula[] = [];
          let exact = true;
          for (const x of s.emitted) { const pf = programFormula(k, op, x); if (!pf) exact = false; else parts.push(pf); }
          if (!exact) { failures.push({ kernel: k.name, opcode: op, part: 'filters', intent: false, emitted: false, message: `${opcodeName(op)}: the symbolic analysis cannot state an emitted filter on fields` }); vs.push('conditional'); continue; }
          got = and([...parts, old]);
        }
      }
      const always = findDifference(got, F(true), known, stats) === null;
      const never = !always && findDifference(got, F(false), known, stats) === null;
      vs.push(always ? 'allow' : never ? 'deny' : 'conditional');
      const d = findDifference(want, got, known, stats);
      if (!d) continue;
      const words = d.words.slice(0, k.ctx.size / 4);
      const fields = contextFields(k, op, words);
      // Re-checked concretely: the VM on the holder's final chain; the evaluator on the intent AND the VM on the old chain.
      const chain = (after?.[op].chain ?? []) as (Insn[] | 'DENY')[];
      const vm = opAllowed(op) && chainAllows(k, chain, words);
      const ev = legacyOpAllowed(p, op) && ruleAllows(p, op, fields) && existingAllows(e, op, words);
      const agree = vm === d.b && ev === d.a;
      const shown = Object.fromEntries(Object.entries(fields).map(([n, v]) => [n, `0x${v.toString(16)}`]));
      failures.push({
        kernel: k.name, opcode: op, part: 'filters', words: [...words], fields: shown, intent: d.a, emitted: d.b,
        message: `${opcodeName(op)} on ${k.name}: intent AND existing ${d.a ? 'allow' : 'deny'} ${Object.entries(shown).map(([n, v]) => `${n}=${v}`).join(' ') || 'the request'}, the holder ends ${d.b ? 'allowing' : 'denying'} it${agree ? '' : ' (the concrete re-check disagrees with the analysis)'}`,
      });
    }
    verdicts[k.name] = vs;
  }
  return { ok: failures.length === 0, verdicts, failures, nodes: stats.nodes };
}
