// Deciding whether two predicates over the filter context can disagree, exactly:
// both are formulas over bit fields of context words (a field is a list of context
// bits, each with its weight in the field's value). A search assigns context bits,
// highest weight first, evaluating both formulas in three-valued logic (a field's
// possible values are bounded by its assigned bits), and stops a branch as soon as
// both verdicts are decided. Decided-and-different is a counterexample; the search
// ends because every branch either decides or assigns one more bit.

export type Rel = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'any' | 'none' | 'all';

/** One bit of a field: context word w, bit s, weight 2^e in the field's value. */
export interface Bit { w: number; s: number; e: number }
export interface BitAtom { bits: Bit[]; rel: Rel; v: number }

export type Formula =
  | { k: 'const'; v: boolean }
  | { k: 'atom'; a: BitAtom }
  | { k: 'and' | 'or'; xs: Formula[] }
  | { k: 'not'; x: Formula };

const T = 1, F = 0, U = 2;
type V3 = 0 | 1 | 2;

export interface Assignment { mask: Uint32Array; value: Uint32Array }

const bitOf = (v: number, e: number) => (e >= 32 ? 0 : Math.floor(v / 2 ** e) % 2);

/** An atom in word form: per context word, the field's bits and v's bits placed there. */
interface Compiled { words: { w: number; fm: number; vm: number }[]; outside: boolean; simple?: { w: number; shift: number; fm: number } }
const compiledOf = new WeakMap<BitAtom, Compiled>();

function compileAtom(a: BitAtom): Compiled {
  const by = new Map<number, { w: number; fm: number; vm: number }>();
  let covered = 0;
  for (const b of a.bits) {
    let x = by.get(b.w);
    if (!x) by.set(b.w, (x = { w: b.w, fm: 0, vm: 0 }));
    x.fm = (x.fm | (1 << b.s)) >>> 0;
    if (bitOf(a.v, b.e)) { x.vm = (x.vm | (1 << b.s)) >>> 0; covered += 2 ** b.e; }
  }
  const c: Compiled = { words: [...by.values()], outside: covered !== a.v };
  // One word, weights in place (bit s has weight s - shift): min and max by masking.
  if (c.words.length === 1) {
    const shift = a.bits.length ? a.bits[0].s - a.bits[0].e : 0;
    if (shift >= 0 && a.bits.every((b) => b.s - b.e === shift)) c.simple = { w: c.words[0].w, shift, fm: c.words[0].fm };
  }
  compiledOf.set(a, c);
  return c;
}

function bounds(a: BitAtom, c: Compiled, st: Assignment): [number, number] {
  if (c.simple) {
    const { w, shift, fm } = c.simple;
    const k = st.mask[w];
    const min = ((st.value[w] & k & fm) >>> shift) >>> 0;
    return [min, (min | ((~k & fm) >>> shift)) >>> 0];
  }
  let min = 0, max = 0;
  for (const b of a.bits) {
    const wt = 2 ** b.e;
    if ((st.mask[b.w] >>> b.s) & 1) { if ((st.value[b.w] >>> b.s) & 1) { min += wt; max += wt; } }
    else max += wt;
  }
  return [min, max];
}

function evalAtom(a: BitAtom, st: Assignment): V3 {
  const c = compiledOf.get(a) ?? compileAtom(a);
  switch (a.rel) {
    case 'eq': case 'ne': {
      let decided = c.outside, full = true;
      if (!decided) for (const { w, fm, vm } of c.words) {
        const k = st.mask[w];
        if ((k & fm & (st.value[w] ^ vm)) !== 0) { decided = true; break; }
        if ((fm & ~k) !== 0) full = false;
      }
      if (a.rel === 'eq') return decided ? F : full ? T : U;
      return decided ? T : full ? F : U;
    }
    case 'all': {
      if (c.outside) return F;
      let unknown = false;
      for (const { w, vm } of c.words) {
        const k = st.mask[w];
        if ((k & vm & ~st.value[w]) !== 0) return F;
        if ((vm & ~k) !== 0) unknown = true;
      }
      return unknown ? U : T;
    }
    case 'any': case 'none': {
      let unknown = false;
      for (const { w, vm } of c.words) {
        const k = st.mask[w];
        if ((k & vm & st.value[w]) !== 0) return a.rel === 'any' ? T : F;
        if ((vm & ~k) !== 0) unknown = true;
      }
      return unknown ? U : a.rel === 'any' ? F : T;
    }
  }
  const [min, max] = bounds(a, c, st);
  switch (a.rel) {
    case 'gt': return min > a.v ? T : max <= a.v ? F : U;
    case 'ge': return min >= a.v ? T : max < a.v ? F : U;
    case 'lt': return max < a.v ? T : min >= a.v ? F : U;
    default: return max <= a.v ? T : min > a.v ? F : U;
  }
}

/** Three-valued value of f, and an undecided atom to branch on when it is undecided. */
function evalPick(f: Formula, st: Assignment): { v: V3; atom?: BitAtom } {
  switch (f.k) {
    case 'const': return { v: f.v ? T : F };
    case 'atom': { const v = evalAtom(f.a, st); return v === U ? { v, atom: f.a } : { v }; }
    case 'not': { const r = evalPick(f.x, st); return r.v === U ? r : { v: r.v === T ? F : T }; }
    default: {
      const stop = f.k === 'and' ? F : T;
      let pending: BitAtom | undefined;
      let undecided = false;
      for (const x of f.xs) {
        const r = evalPick(x, st);
        if (r.v === stop) return { v: stop };
        if (r.v === U) { undecided = true; pending ??= r.atom; }
      }
      return undecided ? { v: U, atom: pending } : { v: stop === F ? T : F };
    }
  }
}

export interface SolveStats { nodes: number }

/**
 * A context (as words) on which a and b differ, with both verdicts, or null when they
 * agree on every context consistent with `known`. Unassigned bits are taken as 0.
 */
export function findDifference(a: Formula, b: Formula, known: Assignment, stats: SolveStats = { nodes: 0 }): { words: Uint32Array; a: boolean; b: boolean } | null {
  a = simplify(a); b = simplify(b);
  if (a.k === 'const' && b.k === 'const') {
    stats.nodes++;
    return a.v === b.v ? null : { words: known.value.slice(), a: a.v, b: b.v };
  }
  const st: Assignment = { mask: known.mask.slice(), value: known.value.slice() };
  const rec = (): { words: Uint32Array; a: boolean; b: boolean } | null => {
    stats.nodes++;
    const ra = evalPick(a, st), rb = evalPick(b, st);
    if (ra.v !== U && rb.v !== U) {
      if (ra.v === rb.v) return null;
      return { words: st.value.slice(), a: ra.v === T, b: rb.v === T };
    }
    const atom = (ra.v === U ? ra.atom : rb.atom)!;
    let pick: Bit | undefined;
    // Bit tests depend only on the bits of v; comparisons on the highest unknown bit first.
    const bitTest = atom.rel === 'any' || atom.rel === 'none' || atom.rel === 'all';
    for (const bit of atom.bits) {
      if ((st.mask[bit.w] >>> bit.s) & 1) continue;
      if (bitTest && !bitOf(atom.v, bit.e)) continue;
      if (!pick || bit.e > pick.e) pick = bit;
    }
    const m = (1 << pick!.s) >>> 0;
    st.mask[pick!.w] = (st.mask[pick!.w] | m) >>> 0;
    for (const x of [0, 1]) {
      st.value[pick!.w] = x ? (st.value[pick!.w] | m) >>> 0 : (st.value[pick!.w] & ~m) >>> 0;
      const r = rec();
      if (r) return r;
    }
    st.mask[pick!.w] = (st.mask[pick!.w] & ~m) >>> 0;
    st.value[pick!.w] = (st.value[pick!.w] & ~m) >>> 0;
    return null;
  };
  return rec();
}

/** Constants folded away, so a decided formula costs no search. */
export function simplify(f: Formula): Formula {
  switch (f.k) {
    case 'const': case 'atom': return f;
    case 'not': { const x = simplify(f.x); return x.k === 'const' ? { k: 'const', v: !x.v } : { k: 'not', x }; }
    default: {
      const stop = f.k === 'or';
      const xs: Formula[] = [];
      for (const x0 of f.xs) {
        const x = simplify(x0);
        if (x.k === 'const') { if (x.v === stop) return x; continue; }
        xs.push(x);
      }
      if (xs.length === 0) return { k: 'const', v: !stop };
      return xs.length === 1 ? xs[0] : { k: f.k, xs };
    }
  }
}

export const FALSE_F: Formula = { k: 'const', v: false };
