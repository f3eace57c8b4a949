// The assembler: the kernel's bpf_asm syntax (tools/bpf/bpf_exp.y), plus raw
// `code:jt:jf:k` quads on any line, the trace format's symbolic constants as
// immediates, and named context fields in loads (`ld [socket.family]`).
// Every error points at the offending token.

import { err, ok, rfError, type Result, type RfError, type SourceLoc } from '../errors.ts';
import { CTX_V7, fieldsInWord, type CtxField, type CtxLayout } from '../abi/ctx.ts';
import { lookupSymbol, ALL_SYMBOL_KINDS } from '../abi/symbols.ts';
import type { Insn } from './insn.ts';
import { BPF, SKF_AD, SKF_AD_OFF } from './isa.ts';
import { parseUnsigned } from './value.ts';

export interface AssembleOptions {
  /** File name for error locations (default `<input>`). */
  file?: string;
  /** 1-based line number of the text's first line inside `file` (default 1). */
  line0?: number;
  /** Columns to add to every error column, when the text was indented in its file (default 0). */
  col0?: number;
  /** The context layout whose field names `[name]` may use (default CTX_V7). */
  layout?: CtxLayout;
}

export interface Assembled {
  insns: Insn[];
  /** The source line (file numbering) each instruction came from. */
  lines: number[];
  /** Label name to instruction index. */
  labels: Map<string, number>;
}

/** A parse failure, thrown only inside this module; assemble() hands it back as an RfError value. */
class AsmError {
  constructor(readonly kind: 'syntax' | 'name' | 'range' | 'invalid', readonly message: string, readonly tok: { col: number; len: number } | null, readonly expected?: string) {}
}

const ID = 1, NUM = 2, PUNCT = 3;

/** Name hashes stay small integers (30 bits and a flag), which never box. */
const HASH_MASK = 0x3fffffff;
/** Set in a name's hash when the name holds a '.', which no label may. */
const HASH_DOTTED = 0x40000000;

/** The lexer's hash of a name, for building tables from strings. */
function hashOf(name: string, caseless = false): number {
  let h = 0;
  for (let j = 0; j < name.length; j++) {
    const c = caseless ? name.charCodeAt(j) | 0x20 : name.charCodeAt(j);
    h = j === 0 ? c : (Math.imul(h, 31) + c) | 0;
  }
  return (h & HASH_MASK) | (name.includes('.') ? HASH_DOTTED : 0);
}

/**
 * An open-addressing index from name hashes to dense entry ids 0..count-1; a slot holds
 * id + 1 (0 is empty). Names sharing a hash sit in later slots, so a search probes on
 * until an empty slot, checking each candidate's name itself.
 */
class HashIndex {
  slots = new Int32Array(64);
  mask = 63;
  /** Each entry's hash. */
  hashes: number[] = [];

  add(h: number): number {
    const id = this.hashes.length;
    this.hashes.push(h);
    if (this.hashes.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }
  private place(id: number): void {
    let s = this.hashes[id] & this.mask;
    while (this.slots[s] !== 0) s = (s + 1) & this.mask;
    this.slots[s] = id + 1;
  }
  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let id = 0; id < this.hashes.length; id++) this.place(id);
  }
}

/**
 * Names to values, searched by a token's hash and checked against the source text:
 * a lookup cuts no string. Case-sensitive.
 */
class Names<V> {
  private index = new HashIndex();
  private names: string[] = [];
  private values: V[] = [];
  get size(): number { return this.names.length; }
  set(name: string, value: V): void {
    this.index.add(hashOf(name));
    this.names.push(name);
    this.values.push(value);
  }
  /** The entry id for the name token at l's cursor + o, or -1. */
  find(l: Line, o = 0): number {
    const h = l.hashes[l.i + o];
    const ix = this.index;
    for (let s = h & ix.mask, e = ix.slots[s]; e !== 0; s = (s + 1) & ix.mask, e = ix.slots[s]) {
      if (ix.hashes[e - 1] === h && l.is(this.names[e - 1], o)) return e - 1;
    }
    return -1;
  }
  value(id: number): V { return this.values[id]; }
}

// Character classes for the lexer, one table lookup per character.
const C_ALPHA = 1, C_DIGIT = 2, C_DOT = 4, C_PUNCT = 8, C_BLANK = 16;
/** Indexed by any UTF-16 code unit, so a lookup needs no range check. */
const CHAR = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) CHAR[c] = C_ALPHA;
  else if (c >= 48 && c <= 57) CHAR[c] = C_DIGIT;
  else if (c === 46) CHAR[c] = C_DOT;
  else if (':,#%[]()+*&|-'.includes(String.fromCharCode(c))) CHAR[c] = C_PUNCT;
  else if (c === 32 || c === 9 || c === 13) CHAR[c] = C_BLANK;
}
/** The class of a character code read before `end` (0 for anything else). */
function charClass(c: number): number {
  return CHAR[c];
}

/**
 * One line's tokens as offsets into the source text, in reused typed arrays: the
 * lexer allocates nothing per token, and strings are cut only where a name is needed.
 * Also the parser's cursor over those tokens.
 */
class Line {
  src = '';
  /** Offsets of the line in src: its first character and its end (before the newline). */
  start = 0;
  end = 0;
  n = 0;
  i = 0;
  kinds = new Uint8Array(32);
  starts = new Int32Array(32);
  ends = new Int32Array(32);
  /** For names (ID tokens): a hash of their text, so tables are searched without cutting a string. */
  hashes = new Int32Array(32);

  push(kind: number, s: number, e: number, h = 0): void {
    if (this.n === this.kinds.length) {
      const grow = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => { const b = make(a.length * 2); b.set(a); return b; };
      this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
      this.starts = grow(this.starts, (n) => new Int32Array(n));
      this.ends = grow(this.ends, (n) => new Int32Array(n));
      this.hashes = grow(this.hashes, (n) => new Int32Array(n));
    }
    this.kinds[this.n] = kind;
    this.starts[this.n] = s;
    this.ends[this.n] = e;
    this.hashes[this.n] = h;
    this.n++;
  }

  /**
   * Tokenize src[start, end), skipping comments: `;` and `//` to the end of the line,
   * `/* *\/` (which may span lines: `inBlock` carries over), and `#` when it starts the
   * line or is followed by a blank (so `# note` is a comment while `#AF_INET` is an
   * immediate). Returns whether a block comment is still open at the end.
   */
  lex(src: string, start: number, end: number, inBlock: boolean): boolean | AsmError {
    this.src = src; this.start = start; this.end = end; this.n = 0; this.i = 0;
    let p = start;
    if (inBlock) {
      const close = src.indexOf('*/', p);
      if (close < 0 || close + 2 > end) return true;
      p = close + 2;
    }
    while (p < end) {
      const c = src.charCodeAt(p);
      const cls = charClass(c);
      if (cls === C_BLANK) { p++; continue; }
      const s = p;
      if (cls === C_ALPHA) {
        let h = c;
        let dotted = 0;
        for (p++; p < end; p++) {
          const d = src.charCodeAt(p);
          const dc = charClass(d);
          if ((dc & (C_ALPHA | C_DIGIT | C_DOT)) === 0) break;
          dotted |= dc;
          h = (Math.imul(h, 31) + d) | 0;
        }
        this.push(ID, s, p, (h & HASH_MASK) | ((dotted & C_DOT) !== 0 ? HASH_DOTTED : 0));
      } else if (cls === C_DIGIT) {
        for (p++; p < end && (charClass(src.charCodeAt(p)) & (C_ALPHA | C_DIGIT)) !== 0; p++);
        this.push(NUM, s, p);
      } else if (c === 47 && src.charCodeAt(p + 1) === 42) { // /*
        const close = src.indexOf('*/', p + 2);
        if (close < 0 || close + 2 > end) return true;
        p = close + 2;
      } else if (c === 59 || (c === 47 && src.charCodeAt(p + 1) === 47)) { // ; or //
        break;
      } else if (c === 35 && (this.n === 0 || p + 1 >= end || src.charCodeAt(p + 1) === 32 || src.charCodeAt(p + 1) === 9 || src.charCodeAt(p + 1) === 13)) {
        break; // # comment
      } else if (cls === C_PUNCT) {
        this.push(PUNCT, s, ++p);
      } else {
        return new AsmError('syntax', `unexpected character '${src[p]}'`, { col: p - start + 1, len: 1 }, 'an instruction, a label or a comment');
      }
    }
    return false;
  }

  /** Whether the token at the cursor + o spells exactly `w` (case-sensitive). */
  is(w: string, o = 0): boolean {
    const s = this.starts[this.i + o];
    if (this.ends[this.i + o] - s !== w.length) return false;
    for (let j = 0; j < w.length; j++) if (this.src.charCodeAt(s + j) !== w.charCodeAt(j)) return false;
    return true;
  }
  /** A name token that is also a label name (no '.': the lexer admits dots for context fields). */
  isLabelName(o = 0): boolean {
    return this.kind(o) === ID && (this.hashes[this.i + o] & HASH_DOTTED) === 0;
  }
  /** The token hash with letters folded to lower case, for the caseless mnemonics. */
  caselessHash(o = 0): number {
    const s = this.starts[this.i + o], e = this.ends[this.i + o];
    let h = 0;
    for (let p = s; p < e; p++) h = p === s ? this.src.charCodeAt(p) | 0x20 : (Math.imul(h, 31) + (this.src.charCodeAt(p) | 0x20)) | 0;
    return h & HASH_MASK;
  }
  /** Where the token at absolute index t is, for an error found after the cursor moved on. */
  locOf(t: number): { col: number; len: number } {
    return { col: this.starts[t] - this.start + 1, len: this.ends[t] - this.starts[t] };
  }
  textOf(t: number): string { return this.src.slice(this.starts[t], this.ends[t]); }
  /** 0 when there is no token there. */
  kind(o = 0): number { return this.i + o < this.n ? this.kinds[this.i + o] : 0; }
  text(o = 0): string { return this.src.slice(this.starts[this.i + o], this.ends[this.i + o]); }
  col(o = 0): number { return this.starts[this.i + o] - this.start + 1; }
  len(o = 0): number { return this.ends[this.i + o] - this.starts[this.i + o]; }
  has(o = 0): boolean { return this.i + o < this.n; }
  /** Where "the line ends too early" points: just past its last character. */
  endCol(): number { return this.src.slice(this.start, this.end).trimEnd().length + 1; }
  at(o = 0): { col: number; len: number } {
    return this.has(o) ? { col: this.col(o), len: this.len(o) } : { col: this.endCol(), len: 1 };
  }
  /** "unexpected 'x'" for the token here, or "the line ends too early". */
  unexpected(what: string): AsmError {
    return new AsmError('syntax', this.has() ? `unexpected '${this.text()}'` : 'the line ends too early', this.at(), what);
  }
  isPunct(p: string, o = 0): boolean {
    return this.kind(o) === PUNCT && this.src.charCodeAt(this.starts[this.i + o]) === p.charCodeAt(0);
  }
  /** A case-insensitive word (mnemonics, registers and M are caseless, as in bpf_asm). */
  isWord(w: string, o = 0): boolean {
    if (this.kind(o) !== ID || this.len(o) !== w.length) return false;
    const s = this.starts[this.i + o];
    for (let j = 0; j < w.length; j++) if ((this.src.charCodeAt(s + j) | 0x20) !== w.charCodeAt(j)) return false;
    return true;
  }
  expectPunct(p: string, what: string): void {
    if (!this.isPunct(p)) throw this.unexpected(what);
    this.i++;
  }
  done(what = 'the end of the line'): void {
    if (this.has()) throw new AsmError('syntax', `unexpected '${this.text()}'`, this.at(), what);
  }
  /** A decimal or 0x number token small enough for exact double arithmetic, read in place. */
  smallNumber(o = 0): number | undefined {
    let p = this.starts[this.i + o];
    const e = this.ends[this.i + o];
    const src = this.src;
    let v = 0;
    if (src.charCodeAt(p) === 48 && e - p > 1) {
      const x = src.charCodeAt(p + 1) | 0x20;
      if (x !== 120 || e - p > 14) return undefined; // octal, binary, long hex: the exact path
      for (p += 2; p < e; p++) {
        const c = src.charCodeAt(p);
        const d = c >= 48 && c <= 57 ? c - 48 : (c | 0x20) >= 97 && (c | 0x20) <= 102 ? (c | 0x20) - 87 : -1;
        if (d < 0) return undefined;
        v = v * 16 + d;
      }
      return e - this.starts[this.i + o] > 2 ? v : undefined;
    }
    if (e - p > 15) return undefined;
    for (; p < e; p++) {
      const c = src.charCodeAt(p);
      if (c < 48 || c > 57) return undefined;
      v = v * 10 + (c - 48);
    }
    return v;
  }
}

/** lookupSymbol, memoised: programs repeat the same few names many times. */
const symbolCache = new Names<number | null>();
/** The symbolic constant the name token at l's cursor spells, if it is one. */
function symbolAt(l: Line): number | undefined {
  const hit = symbolCache.find(l);
  if (hit >= 0) return symbolCache.value(hit) ?? undefined;
  const name = l.text();
  const v = lookupSymbol(name, ALL_SYMBOL_KINDS);
  if (symbolCache.size < 10000) symbolCache.set(name, v ?? null);
  return v;
}

/** Which field of a jump a label fills in. */
const JT = 0, JF = 1, JK = 2;
type JumpField = typeof JT | typeof JF | typeof JK;

const COND: Record<string, { op: number; field: JumpField; two: boolean }> = {
  jeq: { op: BPF.JEQ, field: JT, two: true },
  jgt: { op: BPF.JGT, field: JT, two: true },
  jge: { op: BPF.JGE, field: JT, two: true },
  jset: { op: BPF.JSET, field: JT, two: true },
  // bpf_asm's negated forms: one target, taken when the condition is false
  jneq: { op: BPF.JEQ, field: JF, two: false },
  jne: { op: BPF.JEQ, field: JF, two: false },
  jlt: { op: BPF.JGE, field: JF, two: false },
  jle: { op: BPF.JGT, field: JF, two: false },
};

const ALU: Record<string, number> = {
  add: BPF.ADD, sub: BPF.SUB, mul: BPF.MUL, div: BPF.DIV, mod: BPF.MOD, and: BPF.AND,
  or: BPF.OR, xor: BPF.XOR, lsh: BPF.LSH, rsh: BPF.RSH,
};

const MNEMONICS = [
  'ld', 'ldi', 'ldh', 'ldb', 'ldx', 'ldxi', 'ldxb', 'st', 'stx', 'jmp', 'ja', ...Object.keys(COND),
  ...Object.keys(ALU), 'neg', 'ret', 'tax', 'txa',
];
// Mnemonic ids (indexes into MNEMONICS), so the dispatch switches on small integers.
const M_LD = 0, M_LDI = 1, M_LDH = 2, M_LDB = 3, M_LDX = 4, M_LDXI = 5, M_LDXB = 6, M_ST = 7, M_STX = 8, M_JMP = 9, M_JA = 10;
const M_COND = 11;
const COND_BY_ID = Object.values(COND);
const M_ALU = M_COND + COND_BY_ID.length;
const ALU_BY_ID = Object.values(ALU);
const M_NEG = M_ALU + ALU_BY_ID.length, M_RET = M_NEG + 1, M_TAX = M_NEG + 2, M_TXA = M_NEG + 3;
if (MNEMONICS[M_JA] !== 'ja' || MNEMONICS[M_COND] !== 'jeq' || MNEMONICS[M_ALU] !== 'add' || MNEMONICS[M_TXA] !== 'txa') {
  throw new Error('assembler: mnemonic ids out of step with MNEMONICS');
}

/** Mnemonics by caseless hash (ids index MNEMONICS), so the dispatch finds the interned spelling without cutting a string. */
const MNEMONIC_INDEX = new HashIndex();
for (const m of MNEMONICS) MNEMONIC_INDEX.add(hashOf(m, true));
/** The id of the mnemonic the token at l's cursor spells, in any case, or -1. */
function mnemonicAt(l: Line): number {
  const h = l.caselessHash();
  const ix = MNEMONIC_INDEX;
  for (let s = h & ix.mask, e = ix.slots[s]; e !== 0; s = (s + 1) & ix.mask, e = ix.slots[s]) {
    if (ix.hashes[e - 1] === h && l.isWord(MNEMONICS[e - 1])) return e - 1;
  }
  return -1;
}

/** The ancillary-load keywords by hash (case-sensitive, as bpf_asm's lexer). */
const ANCILLARY = new Names<number>();
for (const [w, off] of Object.entries(SKF_AD)) ANCILLARY.set(w, off);

/** Each context layout's fields by name hash, built on first use. */
const FIELDS = new WeakMap<CtxLayout, Names<CtxField>>();
function fieldsOf(layout: CtxLayout): Names<CtxField> {
  let t = FIELDS.get(layout);
  if (t === undefined) {
    t = new Names<CtxField>();
    // first definition wins, as Array.find would
    for (const f of layout.fields) t.set(f.name, f);
    FIELDS.set(layout, t);
  }
  return t;
}

class Assembler {
  insns: Insn[] = [];
  lines: number[] = [];
  /**
   * Labels by id, as parallel arrays: where the name sits in the source, the instruction
   * it names (-1 while only jumped to) and the line defining it. Ids are found by name hash.
   */
  labelIndex = new HashIndex();
  labStart: number[] = [];
  labEnd: number[] = [];
  labPc: number[] = [];
  labLine: number[] = [];
  /** Label ids in definition order (the order error messages list them in). */
  defined: number[] = [];
  /** Jumps waiting for their label, as parallel arrays, resolved once every label is known. */
  fixPc: number[] = [];
  fixField: JumpField[] = [];
  fixLabel: number[] = [];
  fixLine: number[] = [];
  fixCol: number[] = [];
  fixLen: number[] = [];
  readonly fields: Names<CtxField>;
  constructor(readonly src: string, readonly layout: CtxLayout) {
    this.fields = fieldsOf(layout);
  }

  /** The id of the label named by the token at l's cursor, made on first mention. */
  labelId(l: Line): number {
    const h = l.hashes[l.i];
    const s = l.starts[l.i], n = l.ends[l.i] - s;
    const src = this.src;
    const ix = this.labelIndex;
    for (let slot = h & ix.mask, e = ix.slots[slot]; e !== 0; slot = (slot + 1) & ix.mask, e = ix.slots[slot]) {
      const id = e - 1;
      const ls = this.labStart[id];
      if (ix.hashes[id] !== h || this.labEnd[id] - ls !== n) continue;
      let p = 0;
      while (p < n && src.charCodeAt(ls + p) === src.charCodeAt(s + p)) p++;
      if (p === n) return id;
    }
    const id = ix.add(h);
    this.labStart.push(s);
    this.labEnd.push(s + n);
    this.labPc.push(-1);
    this.labLine.push(0);
    return id;
  }

  labelName(id: number): string {
    return this.src.slice(this.labStart[id], this.labEnd[id]);
  }

  /** `['-'] (number | NAME) ('|' ['-'] (number | NAME))*`, as a u32. */
  value(l: Line, what: string): number {
    // fast path: one or more plain numbers/names below 2^32 joined by '|', no minus
    const start = l.i;
    let fast = 0;
    for (;;) {
      const kind = l.kind();
      if (kind !== NUM && kind !== ID) break;
      const v = kind === NUM ? l.smallNumber() : symbolAt(l);
      if (v === undefined || v > 0xffffffff) break;
      l.i++;
      fast = (fast | v) >>> 0;
      if (!l.isPunct('|')) return fast;
      l.i++;
    }
    l.i = start;
    return this.valueSlow(l, what);
  }

  /** The general case (negatives, out-of-range values, errors), in exact bigint arithmetic. */
  valueSlow(l: Line, what: string): number {
    if (!l.has()) throw new AsmError('syntax', 'the line ends too early', l.at(), what);
    let acc = 0n;
    const firstCol = l.col();
    let lastEnd = firstCol;
    for (;;) {
      let neg = false;
      if (l.isPunct('-')) { neg = true; l.i++; }
      const kind = l.kind();
      if (kind !== NUM && kind !== ID) throw l.unexpected(what);
      const text = l.text();
      const where = { col: l.col(), len: l.len() };
      const sym = kind === ID ? symbolAt(l) : undefined;
      l.i++;
      let v: bigint | undefined;
      if (kind === NUM) {
        v = parseUnsigned(text);
        if (v === undefined) throw new AsmError('syntax', `'${text}' is not a number`, where, 'a decimal, 0x hex, 0b binary or 0 octal number');
      } else {
        const s = sym;
        if (s === undefined) {
          throw new AsmError('name', `unknown name '${text}'`, where, `${what}: a number or a symbolic constant such as AF_INET, SOCK_STREAM, O_CREAT, RESOLVE_BENEATH, SOCKET, EACCES`);
        }
        v = BigInt(s);
      }
      if (neg) v = -v;
      acc = acc | v;
      lastEnd = where.col + where.len;
      if (!l.isPunct('|')) break;
      l.i++;
    }
    if (acc < -(1n << 31n) || acc > 0xffffffffn) {
      throw new AsmError('range', `${acc} does not fit in 32 bits`, { col: firstCol, len: lastEnd - firstCol }, 'a value from -2147483648 to 4294967295');
    }
    return Number(BigInt.asUintN(32, acc));
  }

  /** `#value`, or a bare value where bpf_asm allows one (`ldi 5`). */
  imm(l: Line, bareOk: boolean): number {
    if (l.isPunct('#')) l.i++;
    else if (!bareOk) throw l.unexpected("an immediate such as '#2' or '#AF_INET'");
    return this.value(l, 'an immediate value');
  }

  /** `M[k]`. */
  mem(l: Line): number {
    if (!l.isWord('m')) throw l.unexpected("a scratch cell 'M[0]' .. 'M[15]'");
    l.i++;
    l.expectPunct('[', "'[' after M");
    const k = this.value(l, 'a scratch cell index 0..15');
    l.expectPunct(']', "']'");
    return k;
  }

  /** `x` or `%x` (the X register as an operand). */
  isX(l: Line): boolean {
    if (l.isWord('x')) { l.i++; return true; }
    if (l.isPunct('%') && l.isWord('x', 1)) { l.i += 2; return true; }
    return false;
  }

  describeWord(offset: number, member?: string): string {
    const parts = fieldsInWord(this.layout, offset)
      .filter((f) => !member || !f.member || f.member === member)
      .map((f) => {
        const from = Math.max(f.offset, offset) - offset;
        const to = Math.min(f.offset + f.size, offset + 4) - offset - 1;
        const bytes = from === to ? `byte ${from}` : `bytes ${from}-${to}`;
        return `${f.name} (${bytes}${f.bigEndian ? ', network byte order' : ''})`;
      });
    return `the word at [${offset}] holds ${parts.join(', ')}`;
  }

  /**
   * A load address inside `[...]` after the `[`: `x + k` (indirect), a number, or a
   * context field name with an optional `+ n`. Returns the mode and k.
   */
  address(l: Line, size: number): { mode: number; k: number } {
    if (this.isX(l)) {
      l.expectPunct('+', "'+' after x, as in '[x + 4]'");
      const k = this.value(l, 'an offset');
      l.expectPunct(']', "']'");
      return { mode: BPF.IND, k };
    }
    if (l.kind() === ID) {
      const t = { col: l.col(), len: l.len() };
      const fid = this.fields.find(l);
      const f = fid >= 0 ? this.fields.value(fid) : undefined;
      if (f) {
        l.i++;
        let extra = 0;
        if (l.isPunct('+')) { l.i++; extra = this.value(l, 'an offset into the field'); }
        const k = f.offset + extra;
        if (size === 4) {
          const whole = f.offset % 4 === 0 && extra % 4 === 0 && f.size >= extra + 4;
          if (!whole) {
            const word = k - (k % 4);
            const why = f.size < 4
              ? `'${f.name}' is a ${f.size}-byte field at offset ${f.offset}, not a whole aligned 32-bit word`
              : `[${f.name} + ${extra}] (offset ${k}) is not a whole aligned 32-bit word inside '${f.name}' (${f.size} bytes at offset ${f.offset})`;
            throw new AsmError('invalid', `${why}: ${this.describeWord(word, f.member)}; load [${word}] and mask or shift`, t);
          }
        } else if (extra + size > f.size) {
          throw new AsmError('invalid', `[${f.name} + ${extra}] reaches past the end of '${f.name}' (${f.size} bytes)`, t);
        }
        l.expectPunct(']', "']'");
        return { mode: BPF.ABS, k };
      }
      const name = l.text();
      if (name.includes('.') || /^[a-z]/.test(name)) {
        throw new AsmError('name', `unknown context field '${name}'`, t,
          `a field of the ${this.layout.size}-byte ${this.layout.name} context: ${this.layout.fields.map((x) => x.name).join(', ')}, or an offset`);
      }
    }
    const k = this.value(l, 'a context offset');
    l.expectPunct(']', "']'");
    return { mode: BPF.ABS, k };
  }

  /** `#len`/`len` or an ancillary keyword (`#proto`, `rand`, ...) when next. */
  keyword(l: Line): { len: true } | { anc: number } | null {
    const o = l.isPunct('#') ? 1 : 0;
    if (l.kind(o) !== ID) return null;
    if (l.isWord('len', o)) { l.i += o + 1; return { len: true }; }
    const a = ANCILLARY.find(l, o);
    if (a >= 0) { l.i += o + 1; return { anc: ANCILLARY.value(a) }; }
    return null;
  }

  /** `4 * ([k] & 0xf)`, the only form of ldxb. */
  msh(l: Line): number {
    const four = l.at();
    const fourVal = this.value(l, "'4' in '4 * ([k] & 0xf)'");
    l.expectPunct('*', "'*' in '4 * ([k] & 0xf)'");
    l.expectPunct('(', "'(' in '4 * ([k] & 0xf)'");
    l.expectPunct('[', "'[' in '4 * ([k] & 0xf)'");
    const k = this.value(l, 'an offset');
    l.expectPunct(']', "']'");
    l.expectPunct('&', "'&' in '4 * ([k] & 0xf)'");
    const maskTok = l.at();
    const mask = this.value(l, "'0xf'");
    l.expectPunct(')', "')'");
    if (fourVal !== 4) throw new AsmError('invalid', 'ldxb only supports 4 * ([k] & 0xf)', four);
    if (mask !== 0xf) throw new AsmError('invalid', 'ldxb only supports 4 * ([k] & 0xf)', maskTok);
    return k;
  }

  target(l: Line, pc: number, field: JumpField, line: number): void {
    if (!l.isLabelName()) {
      throw new AsmError('syntax', l.has() ? `'${l.text()}' is not a label` : 'the line ends too early', l.at(), 'a label to jump to');
    }
    this.fixPc.push(pc);
    this.fixField.push(field);
    this.fixLabel.push(this.labelId(l));
    this.fixLine.push(line);
    this.fixCol.push(l.col());
    this.fixLen.push(l.len());
    l.i++;
  }

  emit(code: number, jt: number, jf: number, k: number, line: number): void {
    this.insns.push({ code, jt, jf, k: k >>> 0 });
    this.lines.push(line);
  }

  /** A quad `code:jt:jf:k`; k may be symbolic. */
  quad(l: Line, line: number): void {
    const nums: number[] = [];
    const limits = [0xffff, 0xff, 0xff];
    const names = ['code (u16)', 'jt (u8)', 'jf (u8)'];
    for (let f = 0; f < 3; f++) {
      const t = l.at();
      const v = this.value(l, names[f]);
      if (v > limits[f]) {
        throw new AsmError('range', `${v} does not fit the ${names[f]} field`, t, `0..${limits[f]}`);
      }
      nums.push(v);
      l.expectPunct(':', "':' between the fields of code:jt:jf:k");
    }
    const k = this.value(l, 'k (u32)');
    l.done();
    this.emit(nums[0], nums[1], nums[2], k, line);
  }

  instruction(l: Line, line: number): void {
    // the mnemonic token, cut into a string only for an error message
    const mt = l.i;
    if (l.kind() !== ID) {
      throw new AsmError('syntax', `unexpected '${l.text()}'`, l.locOf(mt), "a mnemonic such as 'ld', 'jeq' or 'ret', a label, or a code:jt:jf:k quad");
    }
    const id = mnemonicAt(l);
    if (id < 0) {
      throw new AsmError('syntax', `unknown instruction '${l.text()}'`, l.locOf(mt), `one of ${MNEMONICS.join(' ')}`);
    }
    l.i++;
    const pc = this.insns.length;
    switch (id) {
      case M_LD: case M_LDH: case M_LDB: {
        const op = MNEMONICS[id];
        const size = id === M_LD ? BPF.W : id === M_LDH ? BPF.H : BPF.B;
        const bytes = id === M_LD ? 4 : id === M_LDH ? 2 : 1;
        const kw = this.keyword(l);
        if (kw && 'len' in kw) {
          if (id !== M_LD) throw new AsmError('syntax', `${op} cannot load len`, l.locOf(mt), "'ld len'");
          this.emit(BPF.LD | BPF.W | BPF.LEN, 0, 0, 0, line);
        } else if (kw) {
          this.emit(BPF.LD | size | BPF.ABS, 0, 0, SKF_AD_OFF + kw.anc, line);
        } else if (id === M_LD && l.isPunct('#')) {
          this.emit(BPF.LD | BPF.IMM, 0, 0, this.imm(l, false), line);
        } else if (id === M_LD && l.isWord('m') && l.isPunct('[', 1)) {
          this.emit(BPF.LD | BPF.MEM, 0, 0, this.mem(l), line);
        } else if (l.isPunct('[')) {
          l.i++;
          const a = this.address(l, bytes);
          this.emit(BPF.LD | size | a.mode, 0, 0, a.k, line);
        } else {
          throw new AsmError('syntax', l.has() ? `unexpected '${l.text()}'` : `'${l.textOf(mt)}' needs an operand`, l.at(),
            id === M_LD ? "'#k', '[k]', '[field]', '[x + k]', 'M[k]' or 'len'" : "'[k]' or '[x + k]'");
        }
        break;
      }
      case M_LDI:
        this.emit(BPF.LD | BPF.IMM, 0, 0, this.imm(l, true), line);
        break;
      case M_LDXI:
        this.emit(BPF.LDX | BPF.IMM, 0, 0, this.imm(l, true), line);
        break;
      case M_LDX: {
        const kw = this.keyword(l);
        if (kw && 'len' in kw) this.emit(BPF.LDX | BPF.W | BPF.LEN, 0, 0, 0, line);
        else if (kw) throw new AsmError('syntax', 'ldx cannot load an ancillary value', l.locOf(mt));
        else if (l.isPunct('#')) this.emit(BPF.LDX | BPF.IMM, 0, 0, this.imm(l, false), line);
        else if (l.isWord('m') && l.isPunct('[', 1)) this.emit(BPF.LDX | BPF.MEM, 0, 0, this.mem(l), line);
        else if (l.kind() === NUM) this.emit(BPF.LDX | BPF.B | BPF.MSH, 0, 0, this.msh(l), line);
        else throw new AsmError('syntax', l.has() ? `unexpected '${l.text()}'` : "'ldx' needs an operand", l.at(), "'#k', 'M[k]', 'len' or '4 * ([k] & 0xf)'");
        break;
      }
      case M_LDXB:
        this.emit(BPF.LDX | BPF.B | BPF.MSH, 0, 0, this.msh(l), line);
        break;
      case M_ST: case M_STX:
        this.emit(id === M_ST ? BPF.ST : BPF.STX, 0, 0, this.mem(l), line);
        break;
      case M_JMP: case M_JA:
        this.emit(BPF.JMP | BPF.JA, 0, 0, 0, line);
        this.target(l, pc, JK, line);
        break;
      case M_NEG:
        this.emit(BPF.ALU | BPF.NEG, 0, 0, 0, line);
        break;
      case M_TAX:
        this.emit(BPF.MISC | BPF.TAX, 0, 0, 0, line);
        break;
      case M_TXA:
        this.emit(BPF.MISC | BPF.TXA, 0, 0, 0, line);
        break;
      case M_RET: {
        if (l.isWord('a') || (l.isPunct('%') && l.isWord('a', 1))) {
          l.i += l.isPunct('%') ? 2 : 1;
          this.emit(BPF.RET | BPF.A, 0, 0, 0, line);
        } else if (this.isX(l)) {
          this.emit(BPF.RET | BPF.X, 0, 0, 0, line);
        } else {
          this.emit(BPF.RET | BPF.K, 0, 0, this.imm(l, false), line);
        }
        break;
      }
      default: {
        if (id >= M_ALU) {
          const alu = ALU_BY_ID[id - M_ALU];
          if (this.isX(l)) this.emit(BPF.ALU | alu | BPF.X, 0, 0, 0, line);
          else this.emit(BPF.ALU | alu | BPF.K, 0, 0, this.imm(l, false), line);
          break;
        }
        const c = COND_BY_ID[id - M_COND];
        let code: number;
        let k = 0;
        if (this.isX(l)) code = BPF.JMP | c.op | BPF.X;
        else { code = BPF.JMP | c.op | BPF.K; k = this.imm(l, false); }
        this.emit(code, 0, 0, k, line);
        l.expectPunct(',', "',' and a label");
        this.target(l, pc, c.field, line);
        if (c.two && l.isPunct(',')) {
          l.i++;
          this.target(l, pc, JF, line);
        }
      }
    }
    l.done();
  }

  resolve(loc: (line: number, col: number, len: number) => SourceLoc): Result<void> {
    const n = this.fixPc.length;
    for (let j = 0; j < n; j++) {
      const id = this.fixLabel[j];
      const target = this.labPc[id];
      const pc = this.fixPc[j];
      const field = this.fixField[j];
      if (target < 0 || target >= this.insns.length || target - pc - 1 < 0 || (field !== JK && target - pc - 1 > 255)) {
        const where = loc(this.fixLine[j], this.fixCol[j], this.fixLen[j]);
        const name = this.labelName(id);
        if (target < 0) {
          const known = this.defined.map((d) => this.labelName(d));
          return err(rfError('name', `no label '${name}'`, where, known.length ? `one of the labels ${known.join(', ')}` : 'a label defined as \'name:\' before an instruction'));
        }
        if (target >= this.insns.length) {
          return err(rfError('invalid', `label '${name}' is after the last instruction`, where, 'a label on an instruction'));
        }
        const delta = target - pc - 1;
        if (delta < 0) {
          return err(rfError('invalid', `jump from instruction ${pc} back to ${target} ('${name}'): classic BPF jumps only forward`, where));
        }
        return err(rfError('range', `'${name}' is ${delta + 1} instructions ahead; a conditional jump reaches at most 256 (jt and jf are u8)`, where, "a nearer label, or a 'ja' to bridge the distance"));
      }
      const delta = target - pc - 1;
      // a plain property store per field: a computed key would be a slow generic store
      const insn = this.insns[pc];
      if (field === JT) insn.jt = delta;
      else if (field === JF) insn.jf = delta;
      else insn.k = delta;
    }
    return ok(undefined);
  }

  /** Label name to instruction index, in definition order. */
  labelMap(): Map<string, number> {
    return new Map(this.defined.map((id) => [this.labelName(id), this.labPc[id]]));
  }
}

/** Assemble and also return the source line of each instruction and the labels. */
export function assembleDetailed(text: string, opts: AssembleOptions = {}): Result<Assembled> {
  const r = run(text, opts);
  return r.ok ? ok({ insns: r.value.insns, lines: r.value.lines, labels: r.value.labelMap() }) : r;
}

function run(text: string, opts: AssembleOptions): Result<Assembler> {
  const file = opts.file ?? '<input>';
  const line0 = opts.line0 ?? 1;
  const col0 = opts.col0 ?? 0;
  const loc = (line: number, col: number, len: number): SourceLoc => ({ file, line, col: col + col0, len });
  const asm = new Assembler(text, opts.layout ?? CTX_V7);
  const failed = parseLines(asm, text, line0, loc);
  if (failed !== null) return err(failed);
  if (asm.insns.length === 0) {
    return err(rfError('syntax', 'the program has no instructions', { file, line: line0, col: 1 + col0 }, "at least one instruction, such as 'ret #1'"));
  }
  const r = asm.resolve(loc);
  if (!r.ok) return r;
  return ok(asm);
}

/**
 * Every line into asm; the located error of the first bad line, or null. The loop has a
 * function of its own because V8 compiles a long loop on stack (OSR) during its first
 * call and keeps reusing that code on later calls: any code after the loop in the same
 * function had no type feedback yet and deoptimised on every call (230 times in 300
 * calls, doubling the time per call).
 */
function parseLines(asm: Assembler, text: string, line0: number, loc: (line: number, col: number, len: number) => SourceLoc): RfError | null {
  const l = new Line();
  let inBlock = false;
  let lineNo = line0;
  // one try around the whole loop: the catch needs only lineNo
  try {
    for (let start = 0; start <= text.length; lineNo++) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const r = l.lex(text, start, end, inBlock);
      if (r instanceof AsmError) throw r;
      inBlock = r;
      // labels: `name:` (a label may stand alone on its line)
      while (l.kind() === ID && l.isPunct(':', 1)) {
        if (!l.isLabelName()) throw new AsmError('syntax', `'${l.text()}' is not a label name`, l.at(), 'letters, digits and _ (not starting with a digit)');
        const id = asm.labelId(l);
        if (asm.labPc[id] >= 0) throw new AsmError('name', `label '${l.text()}' is already defined on line ${asm.labLine[id]}`, l.at());
        asm.labPc[id] = asm.insns.length;
        asm.labLine[id] = lineNo;
        asm.defined.push(id);
        l.i += 2;
      }
      if (l.has()) {
        if (l.kind() === NUM && l.isPunct(':', 1)) asm.quad(l, lineNo);
        else asm.instruction(l, lineNo);
      }
      start = end + 1;
    }
  } catch (e) {
    if (!(e instanceof AsmError)) throw e;
    return rfError(e.kind, e.message, e.tok ? loc(lineNo, e.tok.col, e.tok.len) : undefined, e.expected);
  }
  return null;
}

/**
 * Assemble bpf_asm text (raw `code:jt:jf:k` quads allowed on any line). Errors are
 * located in `file` at `line0`-based lines.
 */
export function assemble(text: string, opts: AssembleOptions = {}): Result<Insn[]> {
  const r = run(text, opts);
  return r.ok ? ok(r.value.insns) : r;
}
