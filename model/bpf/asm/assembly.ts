// What both scanners write into: the instructions and the jumps waiting for their
// labels as records in typed arrays, and the labels. Jumps are resolved in one pass over
// the arrays once every line is read, and Insn objects are made only at the very end.
//
// An instruction is one record of three words in one array, and a jump's fixup one of
// four: a store into a typed array held in a field costs a load of the field, a bounds
// check and the address arithmetic, so one array and fewer words are cheaper than a
// column per field (emit and fix were about a tenth of the assembler's instructions with
// eleven columns).

import { rfError, type RfError, type SourceLoc } from '../../errors.ts';
import type { Insn } from '../insn.ts';
import { TAIL } from './names.ts';
import { CHAR, C_ALPHA, C_DIGIT, C_DOT, JF, JK, JT } from './tables.ts';

const grow32 = (a: Int32Array): Int32Array => { const b = new Int32Array(a.length * 2); b.set(a); return b; };

export type Locate = (line: number, col: number, len: number) => SourceLoc;

/** Words per instruction record and per fixup record. */
const INSN = 3, FIX = 4;
/** Words per label record. */
const LAB = 5;

export class Assembly {
  /**
   * Instructions so far: n records of INSN words, `code | jt << 16 | jf << 24`, k (as an
   * int32), and the source line (file numbering).
   */
  n = 0;
  ins: Int32Array;

  /**
   * Labels by id: records of LAB words, where the name first appears in the source
   * (start, end), the instruction it names (-1 while only jumped to), the line defining
   * it and the name's hash. Ids are found through `labSlots`, an open-addressing table
   * of id + 1 (0 is empty): one array for the probe and one for the record, instead of
   * five (the lookups were a tenth of the assembler's time). The table holds one word a
   * slot so that it stays small: the first probe of a new name is a cache miss in a
   * table of 64 KB (two words a slot for the bench's 4,096 instructions).
   */
  lab: Int32Array;
  labN = 0;
  labSlots: Int32Array;
  /** Slots - 1 (a power of two), and 32 - log2(slots) for the first probe. */
  labMask = 0;
  labShift = 0;
  /** Label ids in definition order (the order error messages list them in). */
  defined: Int32Array;
  definedN = 0;

  /**
   * Jumps waiting for their label: fixN records of FIX words, `pc << 2 | field`, the
   * label, the offset of the label's name in src, and its line. The column and length of
   * the name, for errors, are found again from the offset.
   */
  fixN = 0;
  fixes: Int32Array;

  /** The text being assembled. */
  src = '';

  constructor() {
    this.ins = new Int32Array(64 * INSN);
    this.lab = new Int32Array(32 * LAB);
    this.labSlots = new Int32Array(0);
    this.defined = new Int32Array(32);
    this.fixes = new Int32Array(32 * FIX);
  }

  /**
   * Ready for `src`: nothing assembled, no labels. The arrays are kept from the last text
   * (nothing is read before it is written), grown up front to guesses from the text's
   * size: instructions are rarely shorter than 16 characters, labels and jumps rarer
   * than one per 32. They grow further when the guesses are short.
   */
  reset(src: string): this {
    this.src = src;
    this.n = 0;
    this.definedN = 0;
    this.fixN = 0;
    const cap = Math.min(1 << 16, src.length >> 4);
    if (this.ins.length < cap * INSN) this.ins = new Int32Array(cap * INSN);
    const labels = Math.min(1 << 15, src.length >> 5);
    if (this.lab.length < labels * LAB) {
      this.lab = new Int32Array(labels * LAB);
      this.defined = new Int32Array(labels);
    }
    if (this.fixes.length < labels * FIX) this.fixes = new Int32Array(labels * FIX);
    this.labN = 0;
    // as names.ts's HashIndex: at most half full, at least 64 slots
    let size = 64;
    while (size < labels * 2) size *= 2;
    if (this.labSlots.length === size) this.labSlots.fill(0);
    else this.slotsOf(size);
    return this;
  }

  /** An instruction: code a u16, jt and jf u8, k a u32. */
  emit(code: number, jt: number, jf: number, k: number, line: number): void {
    const r = this.n * INSN;
    if (r === this.ins.length) this.ins = grow32(this.ins);
    const ins = this.ins;
    ins[r] = code | (jt << 16) | (jf << 24);
    ins[r + 1] = k;
    ins[r + 2] = line;
    this.n++;
  }

  /** The number of slots becomes `size` (a power of two), empty. */
  private slotsOf(size: number): void {
    this.labSlots = new Int32Array(size);
    this.labMask = size - 1;
    this.labShift = 32 - Math.log2(size);
  }

  /**
   * The first slot to probe for hash h: the top bits of h times 2^32/phi (as names.ts's
   * HashIndex.first), because names such as l1002, l1006 hash to near neighbours.
   */
  private firstSlot(h: number): number {
    // `| 0`: the shift is at least 26, so the result fits an int32, which V8 cannot see
    // for a shift by a variable; without it the slot was a double, converted at each use
    return (Math.imul(h, 0x9e3779b1) >>> this.labShift) | 0;
  }

  /** The id of the label src[s, e) (hash h), made on first mention; compared in the string. */
  labelIdStr(s: number, e: number, h: number): number {
    const src = this.src;
    const slots = this.labSlots;
    const lab = this.lab;
    const n = e - s;
    for (let slot = this.firstSlot(h), e1 = slots[slot]; e1 !== 0; slot = (slot + 1) & this.labMask, e1 = slots[slot]) {
      const r = (e1 - 1) * LAB;
      const ls = lab[r];
      if (lab[r + 4] !== h || lab[r + 1] - ls !== n) continue;
      let p = 0;
      while (p < n && src.charCodeAt(ls + p) === src.charCodeAt(s + p)) p++;
      if (p === n) return e1 - 1;
    }
    return this.newLabel(s, e, h);
  }

  /** The same, compared a word at a time in `v`, the fast scanner's view of the bytes of the same (ASCII) text. */
  labelIdBytes(v: DataView, s: number, e: number, h: number): number {
    const slots = this.labSlots;
    const lab = this.lab;
    const n = e - s;
    for (let slot = this.firstSlot(h), e1 = slots[slot]; e1 !== 0; slot = (slot + 1) & this.labMask, e1 = slots[slot]) {
      const r = (e1 - 1) * LAB;
      const ls = lab[r];
      if (lab[r + 4] !== h || lab[r + 1] - ls !== n) continue;
      let p = 0;
      while (p + 4 < n && v.getInt32(ls + p, true) === v.getInt32(s + p, true)) p += 4;
      if (p + 4 >= n && ((v.getInt32(ls + p, true) ^ v.getInt32(s + p, true)) & TAIL[n & 3]) === 0) return e1 - 1;
    }
    return this.newLabel(s, e, h);
  }

  /**
   * Field `field` of instruction `pc` jumps to the label at bytes [s, e) of `v` (hash h),
   * on `line`: labelIdBytes() and fix() in one call, which V8 inlines both into (the fast
   * scanner's operands() has no inlining budget left for them by the time it reaches a
   * jump target, so this is one call per target instead of two).
   */
  jumpBytes(v: DataView, s: number, e: number, h: number, pc: number, field: number, line: number): void {
    this.fix(pc, field, this.labelIdBytes(v, s, e, h), s, line);
  }

  private newLabel(s: number, e: number, h: number): number {
    const id = this.labN++;
    if (id * LAB === this.lab.length) this.lab = grow32(this.lab);
    const r = id * LAB;
    const lab = this.lab;
    lab[r] = s;
    lab[r + 1] = e;
    lab[r + 2] = -1;
    lab[r + 3] = 0;
    lab[r + 4] = h;
    if (this.labN * 2 > this.labMask + 1) this.rehash(id, h);
    else this.place(id, h);
    return id;
  }

  private place(id: number, h: number): void {
    const slots = this.labSlots;
    let s = this.firstSlot(h);
    while (slots[s] !== 0) s = (s + 1) & this.labMask;
    slots[s] = id + 1;
  }

  /** Twice the slots, every label placed again, and then label `id` (hash h), not placed yet. */
  private rehash(id: number, h: number): void {
    const old = this.labSlots;
    this.slotsOf((this.labMask + 1) * 2);
    for (let s = 0; s < old.length; s++) if (old[s] !== 0) this.place(old[s] - 1, this.lab[(old[s] - 1) * LAB + 4]);
    this.place(id, h);
  }

  /** The instruction label `id` names, or -1 while it is only jumped to. */
  labPc(id: number): number { return this.lab[id * LAB + 2]; }
  /** The line defining label `id` (once labPc is not -1). */
  labLine(id: number): number { return this.lab[id * LAB + 3]; }

  /** Label `id` names the next instruction; the caller has checked it is not defined yet. */
  define(id: number, line: number): void {
    this.lab[id * LAB + 2] = this.n;
    this.lab[id * LAB + 3] = line;
    if (this.definedN === this.defined.length) this.defined = grow32(this.defined);
    this.defined[this.definedN++] = id;
  }

  /** Field `field` of instruction `pc` is the distance to label `label`, whose name is at offset `at` of src, on `line`. */
  fix(pc: number, field: number, label: number, at: number, line: number): void {
    const r = this.fixN * FIX;
    if (r === this.fixes.length) this.fixes = grow32(this.fixes);
    const fixes = this.fixes;
    fixes[r] = (pc << 2) | field;
    fixes[r + 1] = label;
    fixes[r + 2] = at;
    fixes[r + 3] = line;
    this.fixN++;
  }

  /** Forget a line's partial work (the fast scanner gave up on it midway): back to these counts. */
  rollback(n: number, fixN: number, definedN: number): void {
    this.n = n;
    this.fixN = fixN;
    while (this.definedN > definedN) this.lab[this.defined[--this.definedN] * LAB + 2] = -1;
  }

  labelName(id: number): string {
    return this.src.slice(this.lab[id * LAB], this.lab[id * LAB + 1]);
  }

  /** Fill in every jump, in source order; the first that cannot be filled is the error. */
  resolve(loc: Locate): RfError | null {
    const count = this.n;
    const fixes = this.fixes;
    const ins = this.ins;
    for (let j = 0; j < this.fixN; j++) {
      const f = fixes[j * FIX];
      const target = this.lab[fixes[j * FIX + 1] * LAB + 2];
      const pc = f >> 2;
      const field = f & 3;
      const delta = target - pc - 1;
      if (target < 0 || target >= count || delta < 0 || (field !== JK && delta > 255)) {
        return this.jumpError(j, loc);
      }
      if (field === JT) ins[pc * INSN] = (ins[pc * INSN] & ~0xff0000) | (delta << 16);
      else if (field === JF) ins[pc * INSN] = (ins[pc * INSN] & 0xffffff) | (delta << 24);
      else ins[pc * INSN + 1] = delta;
    }
    return null;
  }

  private jumpError(j: number, loc: Locate): RfError {
    const fixes = this.fixes;
    const id = fixes[j * FIX + 1];
    const target = this.labPc(id);
    const pc = fixes[j * FIX] >> 2;
    // the name's column and length, found again from its offset: the same as the scanners read them
    const at = fixes[j * FIX + 2];
    const src = this.src;
    let end = at + 1;
    while (end < src.length && (CHAR[src.charCodeAt(end)] & (C_ALPHA | C_DIGIT | C_DOT)) !== 0) end++;
    const where = loc(fixes[j * FIX + 3], at - (src.lastIndexOf('\n', at - 1) + 1) + 1, end - at);
    const name = this.labelName(id);
    if (target < 0) {
      const known: string[] = [];
      for (let d = 0; d < this.definedN; d++) known.push(this.labelName(this.defined[d]));
      return rfError('name', `no label '${name}'`, where, known.length ? `one of the labels ${known.join(', ')}` : 'a label defined as \'name:\' before an instruction');
    }
    if (target >= this.n) {
      return rfError('invalid', `label '${name}' is after the last instruction`, where, 'a label on an instruction');
    }
    const delta = target - pc - 1;
    if (delta < 0) {
      return rfError('invalid', `jump from instruction ${pc} back to ${target} ('${name}'): classic BPF jumps only forward`, where);
    }
    return rfError('range', `'${name}' is ${delta + 1} instructions ahead; a conditional jump reaches at most 256 (jt and jf are u8)`, where, "a nearer label, or a 'ja' to bridge the distance");
  }

  /** The instructions as Insn objects, made once at the end. */
  insns(): Insn[] {
    // sized up front: push grew the array a dozen times on the way to 4,096
    const n = this.n;
    const out: Insn[] = new Array(n);
    const ins = this.ins;
    for (let i = 0; i < n; i++) {
      const c = ins[i * INSN];
      out[i] = { code: c & 0xffff, jt: (c >>> 16) & 0xff, jf: c >>> 24, k: ins[i * INSN + 1] >>> 0 };
    }
    return out;
  }

  lines(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) out.push(this.ins[i * INSN + 2]);
    return out;
  }

  /** Label name to instruction index, in definition order. */
  labelMap(): Map<string, number> {
    const m = new Map<string, number>();
    for (let d = 0; d < this.definedN; d++) m.set(this.labelName(this.defined[d]), this.labPc(this.defined[d]));
    return m;
  }
}
