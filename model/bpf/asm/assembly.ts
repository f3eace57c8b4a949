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
import { HashIndex, TAIL } from './names.ts';
import { CHAR, C_ALPHA, C_DIGIT, C_DOT, JF, JK, JT } from './tables.ts';

const grow32 = (a: Int32Array): Int32Array => { const b = new Int32Array(a.length * 2); b.set(a); return b; };

export type Locate = (line: number, col: number, len: number) => SourceLoc;

/** Words per instruction record and per fixup record. */
const INSN = 3, FIX = 4;

export class Assembly {
  /**
   * Instructions so far: n records of INSN words, `code | jt << 16 | jf << 24`, k (as an
   * int32), and the source line (file numbering).
   */
  n = 0;
  ins: Int32Array;

  /**
   * Labels by id: where the name first appears in the source, the instruction it names
   * (-1 while only jumped to) and the line defining it. Ids are found by name hash.
   */
  labelIndex: HashIndex;
  labStart: Int32Array;
  labEnd: Int32Array;
  labPc: Int32Array;
  labLine: Int32Array;
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
    this.labelIndex = new HashIndex();
    this.labStart = new Int32Array(32);
    this.labEnd = new Int32Array(32);
    this.labPc = new Int32Array(32);
    this.labLine = new Int32Array(32);
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
    if (this.labStart.length < labels) {
      this.labStart = new Int32Array(labels);
      this.labEnd = new Int32Array(labels);
      this.labPc = new Int32Array(labels);
      this.labLine = new Int32Array(labels);
      this.defined = new Int32Array(labels);
    }
    if (this.fixes.length < labels * FIX) this.fixes = new Int32Array(labels * FIX);
    this.labelIndex.clear(labels);
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

  /** The id of the label src[s, e) (hash h), made on first mention; compared in the string. */
  labelIdStr(s: number, e: number, h: number): number {
    const src = this.src;
    const ix = this.labelIndex;
    const n = e - s;
    for (let slot = ix.first(h), e1 = ix.slots[slot]; e1 !== 0; slot = (slot + 1) & ix.mask, e1 = ix.slots[slot]) {
      const id = e1 - 1;
      const ls = this.labStart[id];
      if (ix.hashes[id] !== h || this.labEnd[id] - ls !== n) continue;
      let p = 0;
      while (p < n && src.charCodeAt(ls + p) === src.charCodeAt(s + p)) p++;
      if (p === n) return id;
    }
    return this.newLabel(s, e, h);
  }

  /** The same, compared a word at a time in `v`, the fast scanner's view of the bytes of the same (ASCII) text. */
  labelIdBytes(v: DataView, s: number, e: number, h: number): number {
    const ix = this.labelIndex;
    const n = e - s;
    const tail = TAIL[n & 3];
    for (let slot = ix.first(h), e1 = ix.slots[slot]; e1 !== 0; slot = (slot + 1) & ix.mask, e1 = ix.slots[slot]) {
      const id = e1 - 1;
      const ls = this.labStart[id];
      if (ix.hashes[id] !== h || this.labEnd[id] - ls !== n) continue;
      let p = 0;
      while (p + 4 < n && v.getInt32(ls + p, true) === v.getInt32(s + p, true)) p += 4;
      if (p + 4 >= n && ((v.getInt32(ls + p, true) ^ v.getInt32(s + p, true)) & tail) === 0) return id;
    }
    return this.newLabel(s, e, h);
  }

  private newLabel(s: number, e: number, h: number): number {
    const id = this.labelIndex.add(h);
    if (id === this.labStart.length) {
      this.labStart = grow32(this.labStart);
      this.labEnd = grow32(this.labEnd);
      this.labPc = grow32(this.labPc);
      this.labLine = grow32(this.labLine);
    }
    this.labStart[id] = s;
    this.labEnd[id] = e;
    this.labPc[id] = -1;
    this.labLine[id] = 0;
    return id;
  }

  /** Label `id` names the next instruction; the caller has checked it is not defined yet. */
  define(id: number, line: number): void {
    this.labPc[id] = this.n;
    this.labLine[id] = line;
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
    while (this.definedN > definedN) this.labPc[this.defined[--this.definedN]] = -1;
  }

  labelName(id: number): string {
    return this.src.slice(this.labStart[id], this.labEnd[id]);
  }

  /** Fill in every jump, in source order; the first that cannot be filled is the error. */
  resolve(loc: Locate): RfError | null {
    const count = this.n;
    const fixes = this.fixes;
    const ins = this.ins;
    for (let j = 0; j < this.fixN; j++) {
      const f = fixes[j * FIX];
      const target = this.labPc[fixes[j * FIX + 1]];
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
    const target = this.labPc[id];
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
    for (let d = 0; d < this.definedN; d++) m.set(this.labelName(this.defined[d]), this.labPc[this.defined[d]]);
    return m;
  }
}
