// What both scanners write into: the instructions as columns of typed arrays, the
// labels, and the jumps waiting for their labels. Jumps are resolved in one pass over
// the arrays once every line is read, and Insn objects are made only at the very end.

import { rfError, type RfError, type SourceLoc } from '../../errors.ts';
import type { Insn } from '../insn.ts';
import { HashIndex, TAIL } from './names.ts';
import { JF, JK, JT } from './tables.ts';

const grow16 = (a: Uint16Array): Uint16Array => { const b = new Uint16Array(a.length * 2); b.set(a); return b; };
const grow8 = (a: Uint8Array): Uint8Array => { const b = new Uint8Array(a.length * 2); b.set(a); return b; };
const grow32 = (a: Int32Array): Int32Array => { const b = new Int32Array(a.length * 2); b.set(a); return b; };
const growU32 = (a: Uint32Array): Uint32Array => { const b = new Uint32Array(a.length * 2); b.set(a); return b; };

export type Locate = (line: number, col: number, len: number) => SourceLoc;

export class Assembly {
  /** Instructions so far, as columns; `line` is the source line (file numbering) of each. */
  n = 0;
  code: Uint16Array;
  jt: Uint8Array;
  jf: Uint8Array;
  k: Uint32Array;
  line: Int32Array;

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

  /** Jumps waiting for their label: the jump, which field, the label, and where its name is. */
  fixN = 0;
  fixPc: Int32Array;
  fixField: Uint8Array;
  fixLabel: Int32Array;
  fixLine: Int32Array;
  fixCol: Int32Array;
  fixLen: Int32Array;

  /** The text being assembled. */
  src = '';

  constructor() {
    this.code = new Uint16Array(64);
    this.jt = new Uint8Array(64);
    this.jf = new Uint8Array(64);
    this.k = new Uint32Array(64);
    this.line = new Int32Array(64);
    this.labelIndex = new HashIndex();
    this.labStart = new Int32Array(32);
    this.labEnd = new Int32Array(32);
    this.labPc = new Int32Array(32);
    this.labLine = new Int32Array(32);
    this.defined = new Int32Array(32);
    this.fixPc = new Int32Array(32);
    this.fixField = new Uint8Array(32);
    this.fixLabel = new Int32Array(32);
    this.fixLine = new Int32Array(32);
    this.fixCol = new Int32Array(32);
    this.fixLen = new Int32Array(32);
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
    if (this.code.length < cap) {
      this.code = new Uint16Array(cap);
      this.jt = new Uint8Array(cap);
      this.jf = new Uint8Array(cap);
      this.k = new Uint32Array(cap);
      this.line = new Int32Array(cap);
    }
    const labels = Math.min(1 << 15, src.length >> 5);
    if (this.labStart.length < labels) {
      this.labStart = new Int32Array(labels);
      this.labEnd = new Int32Array(labels);
      this.labPc = new Int32Array(labels);
      this.labLine = new Int32Array(labels);
      this.defined = new Int32Array(labels);
      this.fixPc = new Int32Array(labels);
      this.fixField = new Uint8Array(labels);
      this.fixLabel = new Int32Array(labels);
      this.fixLine = new Int32Array(labels);
      this.fixCol = new Int32Array(labels);
      this.fixLen = new Int32Array(labels);
    }
    this.labelIndex.clear(labels);
    return this;
  }

  emit(code: number, jt: number, jf: number, k: number, line: number): void {
    const n = this.n;
    if (n === this.code.length) this.grow();
    this.code[n] = code;
    this.jt[n] = jt;
    this.jf[n] = jf;
    this.k[n] = k;
    this.line[n] = line;
    this.n = n + 1;
  }

  private grow(): void {
    this.code = grow16(this.code);
    this.jt = grow8(this.jt);
    this.jf = grow8(this.jf);
    this.k = growU32(this.k);
    this.line = grow32(this.line);
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

  /** Field `field` of instruction `pc` is the distance to label `label`, named at line:col, len long. */
  fix(pc: number, field: number, label: number, line: number, col: number, len: number): void {
    const j = this.fixN;
    if (j === this.fixPc.length) {
      this.fixPc = grow32(this.fixPc);
      this.fixField = grow8(this.fixField);
      this.fixLabel = grow32(this.fixLabel);
      this.fixLine = grow32(this.fixLine);
      this.fixCol = grow32(this.fixCol);
      this.fixLen = grow32(this.fixLen);
    }
    this.fixPc[j] = pc;
    this.fixField[j] = field;
    this.fixLabel[j] = label;
    this.fixLine[j] = line;
    this.fixCol[j] = col;
    this.fixLen[j] = len;
    this.fixN = j + 1;
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
    for (let j = 0; j < this.fixN; j++) {
      const id = this.fixLabel[j];
      const target = this.labPc[id];
      const pc = this.fixPc[j];
      const field = this.fixField[j];
      const delta = target - pc - 1;
      if (target < 0 || target >= count || delta < 0 || (field !== JK && delta > 255)) {
        return this.jumpError(j, loc);
      }
      if (field === JT) this.jt[pc] = delta;
      else if (field === JF) this.jf[pc] = delta;
      else this.k[pc] = delta;
    }
    return null;
  }

  private jumpError(j: number, loc: Locate): RfError {
    const id = this.fixLabel[j];
    const target = this.labPc[id];
    const pc = this.fixPc[j];
    const where = loc(this.fixLine[j], this.fixCol[j], this.fixLen[j]);
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
    const out: Insn[] = [];
    const { code, jt, jf, k } = this;
    for (let i = 0; i < this.n; i++) out.push({ code: code[i], jt: jt[i], jf: jf[i], k: k[i] });
    return out;
  }

  lines(): number[] {
    return Array.from(this.line.subarray(0, this.n));
  }

  /** Label name to instruction index, in definition order. */
  labelMap(): Map<string, number> {
    const m = new Map<string, number>();
    for (let d = 0; d < this.definedN; d++) m.set(this.labelName(this.defined[d]), this.labPc[this.defined[d]]);
    return m;
  }
}
