// The friendly scanner's tokens: one line as offsets into the source text, in reused
// typed arrays, plus the parser's cursor and the helpers that word its errors. It
// reads the string itself, so it takes any text (the fast scanner takes ASCII only).

import { AsmError } from './error.ts';
import { CHAR, C_ALPHA, C_BLANK, C_DIGIT, C_DOT, C_PUNCT } from './tables.ts';
import { HASH_DOTTED, hashChars, type NameTable } from './names.ts';

export const ID = 1, NUM = 2, PUNCT = 3;

export class Line {
  src = '';
  /** Offsets of the line in src: its first character and its end (before the newline). */
  start = 0;
  end = 0;
  n = 0;
  i = 0;
  kinds: Uint8Array = new Uint8Array(32);
  starts: Int32Array = new Int32Array(32);
  ends: Int32Array = new Int32Array(32);
  /** For names (ID tokens): a hash of their text, so tables are searched without cutting a string. */
  hashes: Int32Array = new Int32Array(32);

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
      const cls = CHAR[c];
      if (cls === C_BLANK) { p++; continue; }
      const s = p;
      if (cls === C_ALPHA) {
        let dotted = 0;
        for (p++; p < end; p++) {
          const dc = CHAR[src.charCodeAt(p)];
          if ((dc & (C_ALPHA | C_DIGIT | C_DOT)) === 0) break;
          dotted |= dc;
        }
        this.push(ID, s, p, hashChars(src, s, p, (dotted & C_DOT) !== 0));
      } else if (cls === C_DIGIT) {
        for (p++; p < end && (CHAR[src.charCodeAt(p)] & (C_ALPHA | C_DIGIT)) !== 0; p++);
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
        return new AsmError('syntax', `unexpected character ${shownChar(src, p)}`, { col: p - start + 1, len: 1 }, 'an instruction, a label or a comment');
      }
    }
    return false;
  }

  /** The entry of `table` the name token at the cursor + o spells, or -1. */
  find<V>(table: NameTable<V>, o = 0): number {
    const t = this.i + o;
    return table.findStr(this.src, this.starts[t], this.ends[t], this.hashes[t]);
  }
  /** A name token that is also a label name (no '.': the lexer admits dots for context fields). */
  isLabelName(o = 0): boolean {
    return this.kind(o) === ID && (this.hashes[this.i + o] & HASH_DOTTED) === 0;
  }
  /** The token hash with letters folded to lower case, for the caseless mnemonics. */
  caselessHash(o = 0): number {
    return hashChars(this.src, this.starts[this.i + o], this.ends[this.i + o], false, true);
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

/** A character for a message: itself when printable, else its code point (a control byte shows as nothing). */
function shownChar(src: string, p: number): string {
  const c = src.codePointAt(p)!;
  return c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xfffd ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}${c === 0xfffd ? ' (bytes that are not UTF-8)' : ' (a control byte)'}` : `'${String.fromCodePoint(c)}'`;
}
