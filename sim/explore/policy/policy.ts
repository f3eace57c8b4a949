// What a holder (a task, for the rings it will create, or a ring) may still do:
// per opcode, always allowed, always denied, or allowed on conditions on context
// fields, from the legacy sets and a symbolic analysis of the whole filter chain
// (all filters must allow; the newest runs first).

import type { KernelProfile } from '../../../model/profile/profiles.ts';
import { IORING_OP_LAST, OPCODE_NAMES, opcodeName } from '../../../model/abi/opcodes.ts';
import { AF, SOCK } from '../../../model/abi/net.ts';
import { SQE_FLAGS } from '../../../model/abi/flags.ts';
import type { Chain, Legacy } from '../reference/state.ts';
import { analyze, feasible, fieldKey, knownFor, type Atom, type Field, type Path } from '../../../model/bpf/symbolic.ts';

export { knownFor };

export interface FilterVerdict {
  /** 1 = newest (runs first). */
  index: number;
  name: string;
  verdict: 'allow' | 'deny' | 'conditional';
  /** When conditional: the condition under which this filter allows. */
  allowsIf?: string;
}

export interface OpcodePolicy {
  opcode: number;
  name: string;
  verdict: 'allow' | 'deny' | 'conditional';
  /** Why, in words: which rule or filter decides. */
  reason: string;
  /** For conditional opcodes: when the request is allowed. */
  condition?: string;
  filters: FilterVerdict[];
  /** The analysis had to treat some condition as opaque or stopped early. */
  approximate?: boolean;
}

export interface HolderPolicy {
  /** The legacy SQE check applies (OP_RESTRICTED, or armed pre-7.0). */
  legacyActive: boolean;
  legacy: Legacy;
  chains: ReadonlyMap<number, Chain> | null;
}

/** The context field name for a bit field of a word. */
export function fieldName(p: KernelProfile, f: Field, op: number): string {
  const byte = f.off + Math.floor(f.shift / 8);
  const width = 32 - Math.clz32(f.mask);
  const member = p.payloads[op];
  const cand = p.ctx.fields.filter((x) => x.offset <= byte && byte < x.offset + x.size && (!x.member || x.member === member) && x.name !== 'pad');
  const fld = cand.sort((a, b) => a.size - b.size)[0];
  if (!fld) return `ctx[${fieldKey(f)}]`;
  let name = fld.name;
  if (fld.size === 8) name += byte - fld.offset >= 4 ? ' (high word)' : ' (low word)';
  if (fld.size === 16) name += ` (word ${(byte - fld.offset) >> 2})`;
  const exact = (fld.size >= 4 && f.shift === 0 && f.mask === 0xffffffff) || (fld.size < 4 && f.shift % 8 === 0 && width === fld.size * 8 && byte === fld.offset);
  if (!exact) name = `(${name}${f.shift % 8 ? ` >> ${f.shift % 8}` : ''}) & 0x${f.mask.toString(16)}`;
  return name;
}

function valueName(p: KernelProfile, f: Field, op: number, v: number): string {
  const name = fieldName(p, f, op);
  const pick = (table: Record<string, number>) => Object.entries(table).find(([n, x]) => x === v && !n.endsWith('LOCAL'))?.[0];
  let sym: string | undefined;
  if (name === 'socket.family' || name === 'connect.family') sym = pick(AF);
  else if (name === 'socket.type') sym = pick(SOCK);
  else if (name === 'opcode') sym = OPCODE_NAMES[v];
  else if (name === 'sqe_flags') sym = v === 0 ? '0' : Object.entries(SQE_FLAGS).filter(([, b]) => v & b).map(([n]) => n).join('|');
  return sym ? (/^\d/.test(sym) ? sym : `${sym}`) : v > 9 ? `0x${v.toString(16)}` : String(v);
}

const REL_TEXT = { eq: '==', ne: '!=', gt: '>', ge: '>=', lt: '<', le: '<=', any: '& {} != 0', none: '& {} == 0' } as const;

function atomText(p: KernelProfile, op: number, a: Atom): string {
  const n = fieldName(p, a.f, op);
  if (a.rel === 'any' || a.rel === 'none') return `${n} ${REL_TEXT[a.rel].replace('{}', `0x${a.v.toString(16)}`)}`;
  return `${n} ${REL_TEXT[a.rel]} ${valueName(p, a.f, op, a.v)}`;
}

/** A disjunction of conjunctions in words, with `f ∈ {…}` for alternatives that differ only in one equality. */
function describe(p: KernelProfile, op: number, conjIn: Path[]): string {
  const conj = conjIn.map(simplify);
  if (conj.length === 0) return 'never';
  if (conj.some((c) => c.atoms.length === 0 && c.opaque.length === 0)) return 'always';
  // One field, only equalities: a value set.
  const keys = new Set(conj.flatMap((c) => c.atoms.map((a) => fieldKey(a.f))));
  if (keys.size === 1 && conj.every((c) => c.atoms.length === 1 && c.atoms[0].rel === 'eq' && c.opaque.length === 0)) {
    const f = conj[0].atoms[0].f;
    const vals = [...new Set(conj.map((c) => c.atoms[0].v))].sort((a, b) => a - b);
    return vals.length === 1 ? atomText(p, op, conj[0].atoms[0]) : `${fieldName(p, f, op)} ∈ {${vals.map((v) => valueName(p, f, op, v)).join(', ')}}`;
  }
  if (keys.size === 1 && conj.every((c) => c.atoms.every((a) => a.rel === 'ne') && c.opaque.length === 0) && conj.length === 1) {
    const f = conj[0].atoms[0].f;
    return `${fieldName(p, f, op)} ∉ {${conj[0].atoms.map((a) => valueName(p, f, op, a.v)).join(', ')}}`;
  }
  const parts = conj.map((c) => [...dedupe(c.atoms).map((a) => atomText(p, op, a)), ...c.opaque.map((o) => o.text)].join(' and '));
  return parts.length === 1 ? parts[0] : parts.map((x) => `(${x})`).join(' or ');
}

/** Within one conjunction, an equality on a field makes the field's other conditions redundant. */
function simplify(c: Path): Path {
  const eqs = new Set(c.atoms.filter((a) => a.rel === 'eq').map((a) => fieldKey(a.f)));
  return { ...c, atoms: dedupe(c.atoms.filter((a) => a.rel === 'eq' || !eqs.has(fieldKey(a.f)))) };
}

function dedupe(atoms: Atom[]): Atom[] {
  const seen = new Set<string>();
  return atoms.filter((a) => { const k = `${fieldKey(a.f)}${a.rel}${a.v}`; if (seen.has(k)) return false; seen.add(k); return true; });
}

/** Conjunctions of allowed paths across every filter of the chain (all must allow). */
function combine(perFilter: Path[][], limit = 2048): { conj: Path[]; partial: boolean } {
  let acc: Path[] = [{ atoms: [], opaque: [], allow: true }];
  let partial = false;
  for (const paths of perFilter) {
    const next: Path[] = [];
    for (const a of acc) for (const b of paths) {
      if (!b.allow) continue;
      const atoms = [...a.atoms, ...b.atoms];
      if (!feasible(atoms)) continue;
      if (next.length >= limit) { partial = true; break; }
      next.push({ atoms, opaque: [...a.opaque, ...b.opaque], allow: true });
    }
    acc = next;
  }
  return { conj: acc, partial };
}

const flagList = (v: number) => (v === 0 ? 'none' : Object.entries(SQE_FLAGS).filter(([, b]) => v & b).map(([n]) => n).join('|'));

export function opcodePolicy(p: KernelProfile, h: HolderPolicy, op: number): OpcodePolicy {
  const name = opcodeName(op);
  const base = { opcode: op, name, filters: [] as FilterVerdict[] };
  const l = h.legacy;
  if (h.legacyActive && !(l.sqeOps & (1n << BigInt(op)))) {
    return { ...base, verdict: 'deny', reason: 'legacy restrictions: not in the sqe_op allow list' };
  }
  let flagCond: string | undefined;
  if (h.legacyActive && (l.required || ((l.allowed | l.required) & 0x7f) !== 0x7f)) {
    const ok = l.allowed | l.required;
    flagCond = ok === 0 ? 'no SQE flag is set' : `SQE flags ⊆ {${flagList(ok)}}` + (l.required ? ` and ⊇ {${flagList(l.required)}}` : '');
  }
  const chain = h.chains?.get(op);
  if (!chain) {
    return flagCond
      ? { ...base, verdict: 'conditional', reason: 'legacy restrictions on SQE flags (no filter for this opcode)', condition: flagCond }
      : { ...base, verdict: 'allow', reason: chain === undefined && h.chains ? 'no filter for this opcode' : 'no filters' };
  }
  const known = knownFor(p, op);
  const perFilter: Path[][] = [];
  const filters: FilterVerdict[] = [];
  let approximate = false;
  let denyAt: number | undefined;
  let denyRestAt: number | undefined;
  chain.forEach((f, i) => {
    if (f === 'DENY') { denyRestAt = i + 1; perFilter.push([{ atoms: [], opaque: [], allow: false }]); return; }
    const a = analyze(f.insns, { ctxSize: p.ctx.size, known });
    if (a.partial) approximate = true;
    const allows = a.paths.filter((x) => x.allow);
    const v: FilterVerdict['verdict'] = allows.length === 0 ? 'deny' : allows.length === a.paths.length ? 'allow' : 'conditional';
    if (v === 'deny' && denyAt === undefined) denyAt = i + 1;
    if (a.paths.some((x) => x.opaque.length)) approximate = true;
    filters.push({ index: i + 1, name: f.name, verdict: v, allowsIf: v === 'conditional' ? describe(p, op, allows) : undefined });
    perFilter.push(a.paths);
  });
  const res: Omit<OpcodePolicy, "verdict" | "reason"> = { ...base, filters, approximate: approximate || undefined };
  if (denyAt !== undefined) return { ...res, verdict: 'deny', reason: `filter #${denyAt} (${filters[denyAt - 1]?.name ?? '?'}) denies every request` };
  if (denyRestAt !== undefined) {
    return { ...res, verdict: 'deny', reason: denyRestAt === 1 ? 'DENY_REST of another opcode\'s filter closed this slot' : `the chain ends in DENY (DENY_REST) after ${denyRestAt - 1} filter(s): a later filter cannot re-open it` };
  }
  const { conj, partial } = combine(perFilter);
  if (partial) res.approximate = true;
  if (conj.length === 0) return { ...res, verdict: 'deny', reason: 'the filters\' conditions cannot all hold at once' };
  const cond = describe(p, op, conj);
  if (cond === 'always' && !flagCond) return { ...res, verdict: 'allow', reason: `${filters.length} filter(s), all allow every request` };
  const deciders = filters.filter((f) => f.verdict === 'conditional').map((f) => `#${f.index} (${f.name})`);
  return {
    ...res, verdict: 'conditional',
    reason: deciders.length
      ? `decided by filter ${deciders.join(', ')}${flagCond ? ' and the legacy flag rules' : ''}`
      : 'decided by the legacy flag rules (the filters allow every request)',
    condition: [cond === 'always' ? '' : cond, flagCond ?? ''].filter(Boolean).join(' and '),
  };
}

export function holderPolicy(p: KernelProfile, h: HolderPolicy): OpcodePolicy[] {
  return Array.from({ length: IORING_OP_LAST }, (_, op) => opcodePolicy(p, h, op));
}
