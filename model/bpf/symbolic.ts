// Symbolic analysis of one classic BPF filter: enumerate every path through the
// program (jumps only go forward, so paths are finite), tracking what A, X and
// M[] hold as constants or as bit fields of context words, and collecting the
// branch conditions on those fields. Each path ends in allow or deny.

import type { Insn } from './insn.ts';
import type { KernelProfile } from '../profile/profiles.ts';

/** Bits of a context word: (word[off] >>> shift) & mask. */
export interface Field {
  off: number;
  shift: number;
  mask: number;
}

export type Val = { k: 'c'; v: number } | { k: 'f'; f: Field } | { k: 'u'; why: string };

export type Rel = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'any' | 'none';

/** A condition on a field: rel against v ('any'/'none': some/no bit of v set). */
export interface Atom {
  f: Field;
  rel: Rel;
  v: number;
}

/** A condition the analysis cannot express on fields (kept as text, assumed satisfiable). */
export interface Opaque {
  text: string;
}

export interface Path {
  atoms: Atom[];
  opaque: Opaque[];
  allow: boolean;
}

/** What is known about the context before the program runs: per word, known bits and their value. */
export interface Known {
  mask: Uint32Array;
  value: Uint32Array;
}

export const fieldKey = (f: Field): string => `${f.off}>>${f.shift}&${f.mask.toString(16)}`;

const NEG: Record<Rel, Rel> = { eq: 'ne', ne: 'eq', gt: 'le', ge: 'lt', lt: 'ge', le: 'gt', any: 'none', none: 'any' };

function holds(rel: Rel, a: number, b: number): boolean {
  switch (rel) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'gt': return a > b;
    case 'ge': return a >= b;
    case 'lt': return a < b;
    case 'le': return a <= b;
    case 'any': return (a & b) !== 0;
    case 'none': return (a & b) === 0;
  }
}

/** A field whose bits are all known is a constant. */
function resolve(f: Field, known: Known): Val {
  const w = f.off >>> 2;
  const bits = (f.mask << f.shift) >>> 0;
  if (((known.mask[w] & bits) >>> 0) === bits) return { k: 'c', v: ((known.value[w] >>> f.shift) & f.mask) >>> 0 };
  // Narrow the field to the unknown bits when they are contiguous and the rest are known zero.
  const unknown = (bits & ~known.mask[w]) >>> 0;
  if (((known.value[w] & bits) >>> 0) === 0 && unknown !== bits) {
    const lo = 31 - Math.clz32(unknown & -unknown);
    const width = 32 - Math.clz32(unknown) - lo;
    const m = width >= 32 ? 0xffffffff : ((1 << width) - 1) >>> 0;
    if (((m << lo) >>> 0) === unknown) return { k: 'f', f: { off: f.off, shift: lo, mask: m } };
  }
  return { k: 'f', f };
}

/** Whether a set of atoms on fields can hold together (fields treated independently). */
export function feasible(atoms: readonly Atom[]): boolean {
  const by = new Map<string, Atom[]>();
  for (const a of atoms) {
    const k = fieldKey(a.f);
    let l = by.get(k);
    if (!l) by.set(k, (l = []));
    l.push(a);
  }
  for (const list of by.values()) {
    const max = list[0].f.mask >>> 0;
    let lo = 0, hi = max;
    let eq: number | undefined;
    const ne = new Set<number>();
    for (const a of list) {
      if (a.rel === 'eq') { if (eq !== undefined && eq !== a.v) return false; eq = a.v; }
      else if (a.rel === 'ne') ne.add(a.v);
      else if (a.rel === 'gt') lo = Math.max(lo, a.v + 1);
      else if (a.rel === 'ge') lo = Math.max(lo, a.v);
      else if (a.rel === 'lt') hi = Math.min(hi, a.v - 1);
      else if (a.rel === 'le') hi = Math.min(hi, a.v);
    }
    if (eq !== undefined) {
      if (!list.every((a) => holds(a.rel, eq!, a.v))) return false;
      continue;
    }
    if (lo > hi) return false;
    // Bit constraints: 'none' bits must be clear; each 'any' needs a bit outside them.
    let clear = 0;
    for (const a of list) if (a.rel === 'none') clear = (clear | a.v) >>> 0;
    for (const a of list) if (a.rel === 'any' && ((a.v & ~clear) >>> 0) === 0) return false;
    const span = hi - lo + 1;
    if (span <= ne.size && [...Array(span).keys()].every((i) => ne.has(lo + i))) return false;
  }
  return true;
}

export interface AnalyzeOptions {
  ctxSize: number;
  known: Known;
  /** Stop enumerating after this many paths (the result is then marked partial). */
  maxPaths?: number;
}

export interface Analysis {
  paths: Path[];
  partial: boolean;
}

/** Every feasible path through a (kernel-accepted) program. */
export function analyze(prog: readonly Insn[], opts: AnalyzeOptions): Analysis {
  const paths: Path[] = [];
  const maxPaths = opts.maxPaths ?? 4096;
  let partial = false;
  type St = { pc: number; A: Val; X: Val; M: Val[]; atoms: Atom[]; opaque: Opaque[] };
  const stack: St[] = [{ pc: 0, A: { k: 'c', v: 0 }, X: { k: 'c', v: 0 }, M: Array(16).fill({ k: 'c', v: 0 }), atoms: [], opaque: [] }];
  const show = (v: Val): string => (v.k === 'c' ? `#${v.v}` : v.k === 'f' ? `ctx[${fieldKey(v.f)}]` : v.why);
  while (stack.length) {
    if (paths.length >= maxPaths) { partial = true; break; }
    const s = stack.pop()!;
    let done = false;
    while (!done) {
      const { code, jt, jf, k } = prog[s.pc];
      const cls = code & 7;
      if (cls === 0 || cls === 1) {
        const mode = code & 0xe0;
        let v: Val;
        if (mode === 0x00) v = { k: 'c', v: k >>> 0 };
        else if (mode === 0x20) v = resolve({ off: k, shift: 0, mask: 0xffffffff }, opts.known);
        else if (mode === 0x60) v = s.M[k];
        else if (mode === 0x80) v = { k: 'c', v: opts.ctxSize };
        else v = { k: 'u', why: `load ${code}` };
        if (cls === 0) s.A = v; else s.X = v;
        s.pc++;
      } else if (cls === 2 || cls === 3) {
        s.M = s.M.slice();
        s.M[k] = cls === 2 ? s.A : s.X;
        s.pc++;
      } else if (cls === 4) {
        const op = code & 0xf0;
        const src: Val = code & 8 ? s.X : { k: 'c', v: k >>> 0 };
        if (op === 0x30 && src.k !== 'c') {
          // Division by a value that may be zero: the zero case returns 0 (deny).
          if (src.k === 'f') {
            paths.push({ atoms: [...s.atoms, { f: src.f, rel: 'eq', v: 0 }], opaque: s.opaque, allow: false });
            s.atoms = [...s.atoms, { f: src.f, rel: 'ne', v: 0 }];
          } else {
            paths.push({ atoms: s.atoms, opaque: [...s.opaque, { text: `${src.why} == 0` }], allow: false });
          }
        }
        if (op === 0x30 && src.k === 'c' && src.v === 0) { paths.push({ atoms: s.atoms, opaque: s.opaque, allow: false }); done = true; continue; }
        s.A = alu(op, s.A, src, opts.known);
        s.pc++;
      } else if (cls === 5) {
        const op = code & 0xf0;
        if (op === 0x00) { s.pc += 1 + k; continue; }
        const rhs: Val = code & 8 ? s.X : { k: 'c', v: k >>> 0 };
        const rel: Rel = op === 0x10 ? 'eq' : op === 0x20 ? 'gt' : op === 0x30 ? 'ge' : 'any';
        const t = s.pc + 1 + jt, f = s.pc + 1 + jf;
        if (s.A.k === 'c' && rhs.k === 'c') { s.pc = holds(rel, s.A.v, rhs.v) ? t : f; continue; }
        if (jt === jf) { s.pc = t; continue; }
        let yes: { atoms: Atom[]; opaque: Opaque[] };
        let no: { atoms: Atom[]; opaque: Opaque[] };
        let A = s.A, rv = rhs;
        if (A.k === 'f' && rv.k === 'c' && (rel === 'eq') && A.f.shift === 0) {
          // Part of the word is known (opcode, pdu_size, padding): compare that part now,
          // keep a condition on the unknown part only.
          const w = A.f.off >>> 2;
          const km = (opts.known.mask[w] & A.f.mask) >>> 0;
          if (km) {
            if (((rv.v & km) >>> 0) !== ((opts.known.value[w] & km) >>> 0)) { s.pc = f; continue; }
            const unknown = (A.f.mask & ~km) >>> 0;
            const lo = 31 - Math.clz32(unknown & -unknown);
            const m = unknown >>> lo;
            if ((m & (m + 1)) === 0) { A = { k: 'f', f: { off: A.f.off, shift: lo, mask: m } }; rv = { k: 'c', v: (rv.v & unknown) >>> lo }; }
          }
        }
        if (A.k === 'f' && rv.k === 'c') {
          yes = { atoms: [...s.atoms, { f: A.f, rel, v: rv.v }], opaque: s.opaque };
          no = { atoms: [...s.atoms, { f: A.f, rel: NEG[rel], v: rv.v }], opaque: s.opaque };
        } else if (s.A.k === 'c' && rhs.k === 'f' && rel !== 'any') {
          // c REL x  <=>  x REL' c
          const flip: Record<string, Rel> = { eq: 'eq', gt: 'lt', ge: 'le' };
          const r2 = flip[rel];
          yes = { atoms: [...s.atoms, { f: rhs.f, rel: r2, v: s.A.v }], opaque: s.opaque };
          no = { atoms: [...s.atoms, { f: rhs.f, rel: NEG[r2], v: s.A.v }], opaque: s.opaque };
        } else {
          const text = `${show(s.A)} ${rel} ${show(rhs)}`;
          yes = { atoms: s.atoms, opaque: [...s.opaque, { text }] };
          no = { atoms: s.atoms, opaque: [...s.opaque, { text: `not (${text})` }] };
        }
        if (feasible(no.atoms)) stack.push({ ...s, pc: f, atoms: no.atoms, opaque: no.opaque });
        if (!feasible(yes.atoms)) { done = true; continue; }
        s.pc = t; s.atoms = yes.atoms; s.opaque = yes.opaque;
      } else if (cls === 6) {
        const r: Val = (code & 0x18) === 0x10 ? s.A : { k: 'c', v: k >>> 0 };
        if (r.k === 'c') paths.push({ atoms: s.atoms, opaque: s.opaque, allow: r.v !== 0 });
        else if (r.k === 'f') {
          const a0 = [...s.atoms, { f: r.f, rel: 'ne' as Rel, v: 0 }];
          const a1 = [...s.atoms, { f: r.f, rel: 'eq' as Rel, v: 0 }];
          if (feasible(a0)) paths.push({ atoms: a0, opaque: s.opaque, allow: true });
          if (feasible(a1)) paths.push({ atoms: a1, opaque: s.opaque, allow: false });
        } else {
          paths.push({ atoms: s.atoms, opaque: [...s.opaque, { text: `${r.why} != 0` }], allow: true });
          paths.push({ atoms: s.atoms, opaque: [...s.opaque, { text: `${r.why} == 0` }], allow: false });
        }
        done = true;
      } else {
        if (code & 0x80) s.A = s.X; else s.X = s.A;
        s.pc++;
      }
    }
  }
  return { paths, partial };
}

function alu(op: number, a: Val, b: Val, known: Known): Val {
  if (a.k === 'c' && b.k === 'c') {
    const x = a.v, y = b.v;
    switch (op) {
      case 0x00: return { k: 'c', v: (x + y) >>> 0 };
      case 0x10: return { k: 'c', v: (x - y) >>> 0 };
      case 0x20: return { k: 'c', v: Math.imul(x, y) >>> 0 };
      case 0x30: return { k: 'c', v: y === 0 ? 0 : Math.floor(x / y) >>> 0 };
      case 0x40: return { k: 'c', v: (x | y) >>> 0 };
      case 0x50: return { k: 'c', v: (x & y) >>> 0 };
      case 0x60: return { k: 'c', v: (x << (y & 31)) >>> 0 };
      case 0x70: return { k: 'c', v: x >>> (y & 31) };
      case 0x80: return { k: 'c', v: (0 - x) >>> 0 };
      case 0xa0: return { k: 'c', v: (x ^ y) >>> 0 };
    }
  }
  if (a.k === 'f' && b.k === 'c') {
    const f = a.f;
    if (op === 0x50) return resolve({ ...f, mask: (f.mask & b.v) >>> 0 }, known);
    if (op === 0x70 && b.v < 32) return resolve({ off: f.off, shift: f.shift + b.v, mask: f.mask >>> b.v }, known);
    if ((op === 0x00 || op === 0x10 || op === 0x40 || op === 0xa0 || op === 0x60) && b.v === 0) return a;
    if ((op === 0x20 || op === 0x30) && b.v === 1) return a;
  }
  const name = { 0x00: '+', 0x10: '-', 0x20: '*', 0x30: '/', 0x40: '|', 0x50: '&', 0x60: '<<', 0x70: '>>', 0x80: 'neg', 0xa0: '^' }[op] ?? '?';
  const sh = (v: Val) => (v.k === 'c' ? `${v.v}` : v.k === 'f' ? `ctx[${fieldKey(v.f)}]` : `(${v.why})`);
  return { k: 'u', why: op === 0x80 ? `-${sh(a)}` : `${sh(a)} ${name} ${sh(b)}` };
}

/** What the filter knows before running, for one opcode: opcode, pdu_size, padding, absent payload. */
export function knownFor(p: KernelProfile, op: number): Known {
  const n = p.ctx.size / 4;
  const mask = new Uint32Array(n), value = new Uint32Array(n);
  const pdu = p.pduSizes[op] ?? 0;
  if (p.ctx.name === 'v5') {
    mask[0] = 0xffff00ff; value[0] = op & 0xff; mask[1] = 0xffffffff;
    for (let w = 4; w < n; w++) if (!p.payloads[op] || w >= 7) mask[w] = 0xffffffff;
  } else {
    mask[2] = 0xffff00ff; value[2] = ((op & 0xff) | (pdu << 16)) >>> 0; mask[3] = 0xffffffff;
    for (let w = 4; w < n; w++) if (!p.payloads[op]) mask[w] = 0xffffffff;
    // SOCKET payload is 12 bytes: the rest of the union stays zero.
    if (p.payloads[op] === 'socket') for (let w = 7; w < n; w++) mask[w] = 0xffffffff;
    // CONNECT pad bytes 22..23 are zero.
    if (p.payloads[op] === 'connect') mask[5] = 0xffff0000;
    // CONNECT family is a sa_family_t (u16) zero-extended to the u32 at 16.
    if (p.payloads[op] === 'connect') mask[4] = 0xffff0000;
    // 7.3 passes type & SOCK_TYPE_MASK: the word's upper 28 bits are zero.
    if (p.payloads[op] === 'socket' && p.socketTypeMasked) mask[5] = 0xfffffff0;
  }
  return { mask, value };
}

