// From a condition on policy fields to tests on context words, which is what a
// cBPF program can do: a 32-bit load (optionally masked or shifted) compared with a
// constant. Where the kernel passes a value differently from what the policy means,
// the lowering says how: 64-bit open fields as two words, the network-order port as
// two bytes, SOCKET type masked where a target kernel does not mask it itself.

import type { Cond } from './ast.ts';
import { findPolicyField, type PolicyField } from './fields.ts';

/** A context word as a program loads it: `ld [off]`, then `and #and`, then `rsh #rsh`. */
export interface Load { off: number; and?: number; rsh?: number }
export type JOp = 'jeq' | 'jgt' | 'jge' | 'jset';
export type Expr =
  | { k: 'const'; v: boolean }
  | { k: 'test'; load: Load; op: JOp; v: number }
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'not'; x: Expr };

export const TRUE: Expr = { k: 'const', v: true };
export const FALSE: Expr = { k: 'const', v: false };

export function and(a: Expr, b: Expr): Expr {
  if (a.k === 'const') return a.v ? b : FALSE;
  if (b.k === 'const') return b.v ? a : FALSE;
  return { k: 'and', a, b };
}
export function or(a: Expr, b: Expr): Expr {
  if (a.k === 'const') return a.v ? TRUE : b;
  if (b.k === 'const') return b.v ? TRUE : a;
  return { k: 'or', a, b };
}
export function not(x: Expr): Expr {
  if (x.k === 'const') return { k: 'const', v: !x.v };
  if (x.k === 'not') return x.x;
  return { k: 'not', x };
}
const anyOf = (xs: Expr[]) => xs.reduce(or, FALSE);

/** How a field is read, given whether every target kernel masks SOCKET type itself. */
export interface LowerOptions { kernelMasksType: boolean }

type Range = [number, number];

/** One 32-bit quantity: its load and its largest value. */
interface Word { load: Load; max: number }

function inRange(w: Word, [lo, hi]: Range): Expr {
  if (lo > hi) return FALSE;
  if (lo === hi) return { k: 'test', load: w.load, op: 'jeq', v: lo };
  const ge = lo === 0 ? TRUE : { k: 'test', load: w.load, op: 'jge', v: lo } as Expr;
  const le = hi >= w.max ? TRUE : not({ k: 'test', load: w.load, op: 'jgt', v: hi });
  return and(ge, le);
}

/** The ranges of values a comparison admits, on a field of largest value max. */
function cmpRanges(op: string, c: number, max: number): Range[] {
  switch (op) {
    case '==': return [[c, c]];
    case '!=': return [[0, c - 1], [c + 1, max]].filter(([a, b]) => a <= b) as Range[];
    case '<': return c === 0 ? [] : [[0, c - 1]];
    case '<=': return [[0, c]];
    case '>': return c >= max ? [] : [[c + 1, max]];
    default: return [[c, max]];
  }
}

const bswap16 = (v: number) => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
const bswap32 = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

/** A value set (ranges) on one field, as tests. */
function inSet(f: PolicyField, off: number, rs: Range[], o: LowerOptions): Expr {
  if (f.ctx === 'connect.port') {
    // Bytes 20, 21 hold the port in network order, 22..23 are zero padding: the word
    // is hi | lo << 8. Equality is one compare; a range compares the bytes in order.
    const whole: Word = { load: { off }, max: 0xffff };
    const H: Word = { load: { off, and: 0xff }, max: 0xff };
    const L: Word = { load: { off, rsh: 8 }, max: 0xff };
    return anyOf(rs.map(([a, b]) => {
      if (a === b) return { k: 'test', load: whole.load, op: 'jeq', v: bswap16(a) } as Expr;
      if (a === 0 && b >= 0xffff) return TRUE;
      const ah = a >>> 8, al = a & 0xff, bh = b >>> 8, bl = b & 0xff;
      if (ah === bh) return and(inRange(H, [ah, ah]), inRange(L, [al, bl]));
      const parts: Expr[] = [];
      parts.push(al === 0 ? inRange(H, [ah, ah]) : and(inRange(H, [ah, ah]), inRange(L, [al, 0xff])));
      if (ah + 1 <= bh - 1) parts.push(inRange(H, [ah + 1, bh - 1]));
      parts.push(bl === 0xff ? inRange(H, [bh, bh]) : and(inRange(H, [bh, bh]), inRange(L, [0, bl])));
      // Merge the first/last part into the middle range when it covers a whole high byte.
      return anyOf(parts);
    }));
  }
  if (f.ctx === 'connect.v4_addr') {
    // Equality only, so every value of a merged range (`in {0, 1}` is [0, 1]) is its own compare.
    return anyOf(rs.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => ({ k: 'test', load: { off }, op: 'jeq', v: bswap32(a + i) } as Expr))));
  }
  if (f.member === 'open') {
    // u64: a value below 2^32 needs the high word zero.
    const lo: Word = { load: { off }, max: 0xffffffff };
    const hiZero: Expr = { k: 'test', load: { off: off + 4 }, op: 'jeq', v: 0 };
    const hiPart = rs.some(([, b]) => b > 0xffffffff) ? not(hiZero) : FALSE;
    // The low word sees only the part of each range below 2^32.
    const low = rs.filter(([a]) => a <= 0xffffffff).map(([a, b]) => inRange(lo, [a, Math.min(b, 0xffffffff)]));
    return or(and(hiZero, anyOf(low)), hiPart);
  }
  const w: Word = { load: f.mask !== undefined && !o.kernelMasksType ? { off, and: f.mask } : { off }, max: f.max };
  if (f.mask !== undefined) w.max = f.mask;
  return anyOf(rs.map((r) => inRange(w, r)));
}

/** Merge touching ranges, so `in {1, 2, 3}` is one range test. */
function merge(rs: Range[], max: number): Range[] {
  const s = rs.map(([a, b]) => [a, Math.min(b, max)] as Range).filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export function lower(opcode: number, c: Cond, offsets: (f: PolicyField) => number, o: LowerOptions): Expr {
  switch (c.k) {
    case 'and': return and(lower(opcode, c.a, offsets, o), lower(opcode, c.b, offsets, o));
    case 'or': return or(lower(opcode, c.a, offsets, o), lower(opcode, c.b, offsets, o));
    case 'not': return not(lower(opcode, c.x, offsets, o));
  }
  const f = findPolicyField(opcode, c.field)!;
  const off = offsets(f);
  const max = f.mask ?? (f.member === 'open' ? 2 ** 64 - 1 : f.max);
  const set = (rs: Range[]) => {
    const m = merge(rs, max);
    if (m.length === 1 && m[0][0] === 0 && m[0][1] >= max) return TRUE;
    return inSet(f, off, m, o);
  };
  switch (c.k) {
    case 'cmp': {
      // != is the complement of ==: one compare, not two ranges.
      if (c.op === '!=') return not(set([[c.value, c.value]]));
      return set(cmpRanges(c.op, c.value, max));
    }
    case 'in': { const e = set(c.items.map((i) => [i.lo, i.hi])); return c.negated ? not(e) : e; }
    case 'has': case 'lacks': {
      // The port sits in network order in the word: its bits are byte-swapped there.
      const bits = f.ctx === 'connect.port' ? bswap16(c.bits) : c.bits;
      if (c.k === 'lacks') return not({ k: 'test', load: { off }, op: 'jset', v: bits });
      const single = (bits & (bits - 1)) === 0;
      return single ? { k: 'test', load: { off }, op: 'jset', v: bits } : { k: 'test', load: { off, and: bits }, op: 'jeq', v: bits };
    }
  }
}
