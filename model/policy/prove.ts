// The proof run on every compile: read back what the emitted registrations allow on
// each target kernel (the legacy entries with that kernel's rules; each opcode's
// filter chain through the symbolic analysis of model/bpf/symbolic.ts) and compare
// it with the intent for every opcode and every context the kernel can pass. The
// intent side is built from the policy's conditions and the context layout alone,
// not from the compiler's lowering. A difference comes with a concrete context.

import { opcodeName } from '../abi/opcodes.ts';
import { RESTRICTION } from '../abi/flags.ts';
import { interpret } from '../bpf/interpret.ts';
import { validate } from '../bpf/validate.ts';
import { analyze, knownFor, type Field } from '../bpf/symbolic.ts';
import type { Insn } from '../bpf/insn.ts';
import { opLastFor, registerOpLastFor, type KernelProfile } from '../profile/profiles.ts';
import type { Cond, Policy } from './ast.ts';
import type { Compiled, LegacyEntry } from './compile.ts';
import { intentAllows, legacyFlagsAllowed, legacyOpAllowed, registerOpAllowed, ruleAllows, type FieldValues } from './evaluate.ts';
import { ctxFieldOf, fieldsOf, findPolicyField, type PolicyField } from './fields.ts';
import { findDifference, type Bit, type BitAtom, type Formula, type SolveStats } from './solve.ts';

export type Verdict = 'allow' | 'deny' | 'conditional';

export interface Counterexample {
  kernel: string;
  opcode: number;
  /** What failed: an opcode's filters, the legacy op list, flags, or a register op. */
  part: 'filters' | 'sqe_op' | 'sqe_flags' | 'register_op';
  /** The context words (filters) or the flag value / register op (legacy parts). */
  words?: number[];
  fields?: Record<string, string>;
  sqeFlags?: number;
  registerOp?: number;
  intent: boolean;
  emitted: boolean;
  message: string;
}

export interface ProofResult {
  ok: boolean;
  /** Per kernel, per opcode: what the emitted registrations allow there. */
  verdicts: Record<string, Verdict[]>;
  failures: Counterexample[];
  nodes: number;
}

/** A context field's bits as the kernel lays them out, with the policy's mask. */
export function fieldBits(p: KernelProfile, f: PolicyField): Bit[] {
  const cf = ctxFieldOf(p, f)!;
  const bits: Bit[] = [];
  for (let i = 0; i < cf.size; i++) {
    const off = cf.offset + i;
    const weightByte = cf.bigEndian ? cf.size - 1 - i : i;
    for (let b = 0; b < 8; b++) {
      const e = weightByte * 8 + b;
      if (f.mask !== undefined && (e >= 32 || !((f.mask >>> e) & 1))) continue;
      bits.push({ w: off >> 2, s: (off & 3) * 8 + b, e });
    }
  }
  return bits;
}

const atom = (bits: Bit[], rel: BitAtom['rel'], v: number): Formula => ({ k: 'atom', a: { bits, rel, v } });
const all = (xs: Formula[]): Formula => ({ k: 'and', xs });
const any = (xs: Formula[]): Formula => ({ k: 'or', xs });

/** The intent's condition as a formula over context bits. */
export function intentFormula(p: KernelProfile, opcode: number, c: Cond): Formula {
  switch (c.k) {
    case 'and': case 'or': return { k: c.k, xs: [intentFormula(p, opcode, c.a), intentFormula(p, opcode, c.b)] };
    case 'not': return { k: 'not', x: intentFormula(p, opcode, c.x) };
  }
  const bits = fieldBits(p, findPolicyField(opcode, c.field)!);
  const range = (lo: number, hi: number): Formula => (lo === hi ? atom(bits, 'eq', lo) : all([atom(bits, 'ge', lo), atom(bits, 'le', hi)]));
  switch (c.k) {
    case 'cmp': {
      const rel = ({ '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' } as const)[c.op];
      return atom(bits, rel, c.value);
    }
    case 'in': { const f = any(c.items.map((i) => range(i.lo, i.hi))); return c.negated ? { k: 'not', x: f } : f; }
    case 'has': return atom(bits, 'all', c.bits);
    case 'lacks': return atom(bits, 'none', c.bits);
  }
}

function fieldAtomBits(f: Field): Bit[] {
  const bits: Bit[] = [];
  for (let b = 0; b < 32; b++) if ((f.mask >>> b) & 1) {
    const s = f.shift + b;
    if (s < 32) bits.push({ w: f.off >> 2, s, e: b });
  }
  return bits;
}

/** What one program allows, from its paths; null when the analysis is not exact. */
export function programFormula(p: KernelProfile, op: number, insns: readonly Insn[]): Formula | null {
  const a = analyze(insns, { ctxSize: p.ctx.size, known: knownFor(p, op) });
  if (a.partial || a.paths.some((x) => x.opaque.length)) return null;
  return any(a.paths.filter((x) => x.allow).map((x) => all(x.atoms.map((t) => atom(fieldAtomBits(t.f), t.rel, t.v)))));
}

type Slot = ('DENY' | Insn[])[];

/** A fresh holder's filter table after the registrations (kernel-semantics.md §2.4 E). */
export function tableAfter(c: Compiled, opLast: number): Slot[] {
  const slots: Slot[] = Array.from({ length: opLast }, () => []);
  for (const r of c.filters) {
    slots[r.opcode] = [r.insns, ...slots[r.opcode]];
    if (r.flags & 1) for (let i = 0; i < opLast; i++) if (i !== r.opcode && slots[i].length === 0) slots[i] = ['DENY'];
  }
  return slots;
}

/** The legacy entries as a kernel reads them (kernel-semantics.md §2.2.1, §9 for pre-7.0). */
export function legacyAfter(k: KernelProfile, entries: LegacyEntry[] | null) {
  const ops = new Set<number>(), regs = new Set<number>();
  let allowed = 0, required = 0, opReg = false, regReg = false;
  for (const e of entries ?? []) {
    if (e.type === RESTRICTION.SQE_OP) { ops.add(e.value); opReg = true; }
    else if (e.type === RESTRICTION.REGISTER_OP) { regs.add(e.value); regReg = true; }
    else if (e.type === RESTRICTION.SQE_FLAGS_ALLOWED) { allowed = e.value; opReg = true; }
    else if (e.type === RESTRICTION.SQE_FLAGS_REQUIRED) { required = e.value; opReg = true; }
  }
  if (entries && entries.length === 0) opReg = regReg = true;
  // Before 7.0 one `registered` flag arms both classes.
  if (k.legacy === 'pre-7.0' && entries) opReg = regReg = true;
  return {
    opAllowed: (op: number) => !opReg || ops.has(op),
    flagsAllowed: (f: number) => !opReg || ((f & required) === required && (f & ~(allowed | required)) === 0),
    regAllowed: (op: number) => !regReg || regs.has(op),
  };
}

/** The field values a context carries, for messages and the concrete re-check. */
export function contextFields(p: KernelProfile, opcode: number, words: ArrayLike<number>): FieldValues {
  const bytes = new Uint8Array(p.ctx.size);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) dv.setUint32(i * 4, words[i] >>> 0, true);
  const out: Record<string, bigint> = {};
  for (const f of fieldsOf(opcode)) {
    const cf = ctxFieldOf(p, f);
    if (!cf || p.payloads[opcode] !== f.member) continue;
    let v = 0n;
    for (let i = 0; i < cf.size; i++) {
      const byte = BigInt(bytes[cf.offset + (cf.bigEndian ? i : cf.size - 1 - i)]);
      v = (v << 8n) | byte;
    }
    out[cf.name] = v;
  }
  return out;
}

/** Run a slot's chain on a context with the VM: newest first, all must allow. */
export function chainAllows(p: KernelProfile, chain: Slot, words: Uint32Array): boolean {
  for (const f of chain) {
    if (f === 'DENY') return false;
    const v = validate(f, p);
    if (!v.ok || interpret(v.program, words) === 0) return false;
  }
  return true;
}

function show(fields: FieldValues): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, `0x${v.toString(16)}`]));
}

export function prove(c: Compiled): ProofResult {
  const p: Policy = c.policy;
  const failures: Counterexample[] = [];
  const verdicts: Record<string, Verdict[]> = {};
  const stats: SolveStats = { nodes: 0 };
  // Kernels that pass the same payload the same way give the same answer for an opcode.
  const memo = new Map<string, { verdict: Verdict; d: ReturnType<typeof findDifference> }>();
  for (const k of c.profiles) {
    const opLast = opLastFor(k);
    const legacy = legacyAfter(k, c.legacy);
    const table = k.bpfFilters ? tableAfter(c, opLast) : null;
    const vs: Verdict[] = [];
    for (let f = 0; f <= 0xff; f++) {
      const intent = legacyFlagsAllowed(p, f & 0x7f), emitted = legacy.flagsAllowed(f & 0x7f);
      if (intent !== emitted) { failures.push({ kernel: k.name, opcode: -1, part: 'sqe_flags', sqeFlags: f & 0x7f, intent, emitted, message: `SQE flags 0x${(f & 0x7f).toString(16)}: the intent ${intent ? 'allows' : 'denies'} them, the legacy entries ${emitted ? 'allow' : 'deny'} them` }); break; }
    }
    for (let r = 0; r < registerOpLastFor(k); r++) {
      const intent = registerOpAllowed(p, r), emitted = legacy.regAllowed(r);
      if (intent !== emitted) failures.push({ kernel: k.name, opcode: -1, part: 'register_op', registerOp: r, intent, emitted, message: `register op ${r}: the intent ${intent ? 'allows' : 'denies'} it, the legacy entries ${emitted ? 'allow' : 'deny'} it` });
    }
    for (let op = 0; op < opLast; op++) {
      const iOp = legacyOpAllowed(p, op), eOp = legacy.opAllowed(op);
      if (iOp !== eOp) {
        failures.push({ kernel: k.name, opcode: op, part: 'sqe_op', intent: iOp, emitted: eOp, message: `${opcodeName(op)}: the intent's SQE op list ${iOp ? 'allows' : 'denies'} it, the legacy entries ${eOp ? 'allow' : 'deny'} it` });
        vs.push(eOp ? 'allow' : 'deny');
        continue;
      }
      if (!eOp) { vs.push('deny'); continue; }
      const rule = p.rules.find((r) => r.opcode === op);
      let intentF: Formula = { k: 'const', v: p.rest === 'allow' };
      if (rule) intentF = rule.cond ? (rule.action === 'allow' ? intentFormula(k, op, rule.cond) : { k: 'not', x: intentFormula(k, op, rule.cond) }) : { k: 'const', v: rule.action === 'allow' };
      let emittedF: Formula = { k: 'const', v: true };
      const chain = table ? table[op] : [];
      if (chain.length) {
        const parts: Formula[] = [];
        let exact = true;
        for (const f of chain) {
          if (f === 'DENY') { parts.push({ k: 'const', v: false }); continue; }
          const pf = programFormula(k, op, f);
          if (!pf) { exact = false; break; }
          parts.push(pf);
        }
        if (!exact) {
          failures.push({ kernel: k.name, opcode: op, part: 'filters', intent: false, emitted: false, message: `${opcodeName(op)}: the symbolic analysis cannot state the emitted filter on fields` });
          vs.push('conditional');
          continue;
        }
        emittedF = { k: 'and', xs: parts };
      }
      const key = [k.ctx.name, k.payloads[op] ?? '-', k.pduSizes[op] ?? 0, k.socketTypeMasked, rule ? p.rules.indexOf(rule) : -1, chain.map((x) => (x === 'DENY' ? 'D' : c.filters.findIndex((f) => f.insns === x))).join(',')].join('|');
      let m = memo.get(key);
      if (!m) {
        const known = knownFor(k, op);
        const always = findDifference(emittedF, { k: 'const', v: true }, known, stats) === null;
        const never = !always && findDifference(emittedF, { k: 'const', v: false }, known, stats) === null;
        m = { verdict: always ? 'allow' : never ? 'deny' : 'conditional', d: findDifference(intentF, emittedF, known, stats) };
        memo.set(key, m);
      }
      vs.push(m.verdict);
      const d = m.d;
      if (d) {
        const fields = contextFields(k, op, d.words);
        // Re-check the counterexample concretely: the VM on the chain, the evaluator on the intent.
        const vm = chainAllows(k, chain, d.words);
        const ev = ruleAllows(p, op, fields);
        const agree = vm === d.b && ev === d.a;
        failures.push({
          kernel: k.name, opcode: op, part: 'filters', words: [...d.words], fields: show(fields), intent: d.a, emitted: d.b,
          message: `${opcodeName(op)} on ${k.name}: the intent ${d.a ? 'allows' : 'denies'} ${Object.entries(show(fields)).map(([n, v]) => `${n}=${v}`).join(' ') || 'the request'}, the emitted filters ${d.b ? 'allow' : 'deny'} it${agree ? '' : ' (the concrete re-check disagrees with the analysis)'}`,
        });
      }
    }
    verdicts[k.name] = vs;
  }
  return { ok: failures.length === 0, verdicts, failures, nodes: stats.nodes };
}

/** The intent's verdict on a concrete request, for tests and traces. */
export { intentAllows };
