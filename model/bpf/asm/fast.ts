// The fast scanner: one pass straight over the bytes of an ASCII text, no tokens and
// no substrings, writing instructions, labels and jump fixups into the Assembly's typed
// arrays. It knows only the common, well-formed shapes of a line; on anything else
// (an error, a rare form, a block comment) it declines the line: it undoes the line's
// partial work and stops, and the friendly parser takes that line. So whenever the fast
// scanner is unsure, results and errors are the friendly parser's.
//
// The line loop keeps its state in locals, and the helpers that read characters are
// small functions of the byte array, which V8 inlines: per character, only loads.

import type { CtxField } from '../../abi/ctx.ts';
import { BPF } from '../isa.ts';
import type { Assembly } from './assembly.ts';
import { HASH_DOTTED, HASH_MASK, TAIL, mixWord, type NameTable } from './names.ts';
import {
  ALU_BY_ID, ANCILLARY, CHAR, COND_BY_ID, C_ALPHA, C_BLANK, C_DIGIT, C_DOT, JF, JK, MNEMONICS, MNEMONIC_IDS, MNEMONIC_KEYS,
  HEAD_END, mnemonicSlot, symbolBytes, symbolHead,
  M_ALU, M_COND, M_JA, M_JMP, M_LD, M_LDB, M_LDH, M_LDI, M_LDX, M_LDXB, M_LDXI, M_NEG, M_RET, M_ST, M_STX, M_TAX, M_TXA,
} from './tables.ts';

// Constants as const enums, which the TypeScript transform inlines as literals: a module
// binding read in a scanning loop costs a load and a hole check per character (about 7%
// of the assembler's time when the character classes were imported bindings).
/** Character codes. */
const enum Ch { TAB = 9, NL = 10, CR = 13, SP = 32, HASH = 35, COMMA = 44, SLASH = 47, COLON = 58, SEMI = 59, LBRACKET = 91, RBRACKET = 93, BAR = 124 }
/** The classes of tables.ts's CHAR (checked below), and NAME: the characters a name holds. */
const enum Cls { ALPHA = 1, DIGIT = 2, DOT = 4, NAME = 7, BLANK = 16 }
/** names.ts's hash mask and dotted flag (checked below). */
const enum Hash { MASK = 0x3fffffff, DOTTED = 0x40000000, FNV = 0x01000193 }
/** A position that means "decline the line". */
const enum Pos { NO = -1 }
if (Cls.ALPHA !== C_ALPHA || Cls.DIGIT !== C_DIGIT || Cls.DOT !== C_DOT || Cls.BLANK !== C_BLANK || Hash.MASK !== HASH_MASK || Hash.DOTTED !== HASH_DOTTED || mixWord(0, 1) !== Hash.FNV) {
  throw new Error('assembler: the fast scanner\'s constants are out of step with tables.ts and names.ts');
}

/**
 * Past the blanks (space, tab, CR) at p. Compared directly rather than through CHAR: a
 * typed-array load costs about ten instructions in V8's code (map, bounds, base pointer),
 * and this runs after nearly every token.
 */
function skip(b: Uint8Array, p: number): number {
  let c = b[p];
  while (c === Ch.SP || c === Ch.TAB || c === Ch.CR) c = b[++p];
  return p;
}

/** The hash of the last name scanName() read (a typed array cell: a number stays unboxed). */
const NAME_HASH = new Int32Array(1);

/**
 * The end of the name starting at p (a letter or '_'): letters, digits, '_' and '.'; and its hash (names.ts's hashChars,
 * with the dotted flag) into NAME_HASH: the characters are classified one by one, then
 * hashed four at a time from `v`, the DataView of the same bytes.
 */
function scanName(b: Uint8Array, v: DataView, p: number): number {
  const cls = CHAR;
  let e = p + 1;
  let dotted = 0;
  for (let c = cls[b[e]]; (c & Cls.NAME) !== 0; c = cls[b[e]]) {
    dotted |= c;
    e++;
  }
  let h = e - p;
  let q = p;
  for (; q + 4 < e; q += 4) h = Math.imul(h ^ v.getInt32(q, true), Hash.FNV);
  h = Math.imul(h ^ (v.getInt32(q, true) & TAIL[(e - q) & 3]), Hash.FNV);
  NAME_HASH[0] = ((h ^ (h >>> 16)) & Hash.MASK) | ((dotted & Cls.DOT) !== 0 ? Hash.DOTTED : 0);
  return e;
}

/** Whether the name at p is the single letter `w` (lower case) in any case: x, a, M. */
function letter(b: Uint8Array, p: number, w: number): boolean {
  return (b[p] | 0x20) === w && (CHAR[b[p + 1]] & Cls.NAME) === 0;
}

/** Whether the character after a '#' makes the '#' a comment (a blank or the line's end). */
function hashComment(d: number): boolean {
  return d === Ch.SP || d === Ch.NL || d === Ch.TAB || d === Ch.CR;
}

/**
 * The mnemonic id of the name [s, e) of `v` in any case, or -1: its 2 to 4 letters in one
 * load, lowered by setting bit 5 of each byte (which maps only letters onto letters).
 */
function mnemonicOf(v: DataView, s: number, e: number): number {
  if (e - s < 2 || e - s > 4) return -1;
  const tail = TAIL[(e - s) & 3];
  const key = (v.getInt32(s, true) | 0x20202020) & tail;
  for (let slot = mnemonicSlot(key); MNEMONIC_KEYS[slot] !== 0; slot = (slot + 1) & 127) {
    if (MNEMONIC_KEYS[slot] === key) return MNEMONIC_IDS[slot];
  }
  return -1;
}

/** A number token b[s, e): decimal up to 15 digits or 0x hex up to 12, below 2^32; else Pos.NO. */
function numberValue(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  let p = s;
  if (b[p] === 48 && e - p > 1) {
    // octal, binary and long hex are the friendly parser's
    if ((b[p + 1] | 0x20) !== 120 || e - p > 14 || e - p === 2) return Pos.NO;
    for (p += 2; p < e; p++) {
      const c = b[p] | 0x20;
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
      if (d < 0) return Pos.NO;
      v = v * 16 + d;
    }
  } else {
    if (e - p > 15) return Pos.NO;
    for (; p < e; p++) {
      const c = b[p];
      if (c < 48 || c > 57) return Pos.NO;
      v = v * 10 + (c - 48);
    }
  }
  return v > 0xffffffff ? Pos.NO : v;
}

/** Whether the name b[s, e) is `len` (any case) or an ancillary keyword: those loads are the friendly parser's. */
function isKeyword(b: Uint8Array, v: DataView, s: number): boolean {
  const e = scanName(b, v, s);
  if (e - s === 3 && (b[s] | 0x20) === 108 && (b[s + 1] | 0x20) === 101 && (b[s + 2] | 0x20) === 110) return true;
  return ANCILLARY.findBytes(v, s, e, NAME_HASH[0]) >= 0;
}

/**
 * Each mnemonic's operand shape, the case of the switch in operands(): 0 ld, 1 ldh ldb,
 * 2 ldi ldxi, 3 ldx, 4 st stx, 5 ja jmp, 6 neg tax txa, 7 ret, 8 the ALU operations,
 * 9 the conditional jumps, 10 ldxb (left to the friendly parser). With its code where
 * the shape fixes it (the K form for ALU and jumps), and for conditional jumps the field
 * their first target fills and whether a second may follow.
 */
const SHAPE = new Uint8Array(MNEMONICS.length);
const CODE = new Uint16Array(MNEMONICS.length);
const TARGET_FIELD = new Uint8Array(MNEMONICS.length);
const TWO_TARGETS = new Uint8Array(MNEMONICS.length);
SHAPE.fill(255);
SHAPE[M_LD] = 0;
SHAPE[M_LDH] = 1; CODE[M_LDH] = BPF.LD | BPF.H | BPF.ABS;
SHAPE[M_LDB] = 1; CODE[M_LDB] = BPF.LD | BPF.B | BPF.ABS;
SHAPE[M_LDI] = 2; CODE[M_LDI] = BPF.LD | BPF.IMM;
SHAPE[M_LDXI] = 2; CODE[M_LDXI] = BPF.LDX | BPF.IMM;
SHAPE[M_LDX] = 3;
SHAPE[M_ST] = 4; CODE[M_ST] = BPF.ST;
SHAPE[M_STX] = 4; CODE[M_STX] = BPF.STX;
SHAPE[M_JA] = 5;
SHAPE[M_JMP] = 5;
SHAPE[M_NEG] = 6; CODE[M_NEG] = BPF.ALU | BPF.NEG;
SHAPE[M_TAX] = 6; CODE[M_TAX] = BPF.MISC | BPF.TAX;
SHAPE[M_TXA] = 6; CODE[M_TXA] = BPF.MISC | BPF.TXA;
SHAPE[M_RET] = 7;
ALU_BY_ID.forEach((op, j) => { SHAPE[M_ALU + j] = 8; CODE[M_ALU + j] = BPF.ALU | op | BPF.K; });
COND_BY_ID.forEach((c, j) => {
  SHAPE[M_COND + j] = 9;
  CODE[M_COND + j] = BPF.JMP | c.op | BPF.K;
  TARGET_FIELD[M_COND + j] = c.field;
  TWO_TARGETS[M_COND + j] = c.two ? 1 : 0;
});
SHAPE[M_LDXB] = 10;
if (SHAPE.includes(255)) throw new Error('assembler: a mnemonic without an operand shape');

export class FastScanner {
  /** After scan() declined a line: its number. */
  lineNo = 0;
  /** What the last value() read. */
  private val = 0;

  /**
   * `b` holds the text's bytes (it is ASCII) and a newline after its end, which stops
   * every scan, and at least three bytes more, so a name's last word is read whole; `v`
   * views the same bytes.
   */
  constructor(readonly asm: Assembly, readonly b: Uint8Array, readonly v: DataView, readonly src: string, readonly fields: NameTable<CtxField>) {}

  /** `term ('|' term)*` at p, each a number or a symbolic name below 2^32, into val; the position after it. */
  private value(p: number): number {
    const b = this.b;
    let acc = 0;
    for (;;) {
      const cls = CHAR[b[p]];
      let v: number;
      if (cls === Cls.DIGIT) {
        let e = p + 1;
        while ((CHAR[b[e]] & (Cls.ALPHA | Cls.DIGIT)) !== 0) e++;
        v = numberValue(b, p, e);
        if (v === Pos.NO) return Pos.NO;
        p = e;
      } else if (cls === Cls.ALPHA) {
        // a name seen before, by its first word; else read to its end, hash and look up
        const known = symbolHead(b, this.v, p);
        if (known >= 0) {
          v = known;
          p = HEAD_END[0];
        } else {
          const e = scanName(b, this.v, p);
          const s = symbolBytes(this.v, this.src, p, e, NAME_HASH[0]);
          if (s === undefined) return Pos.NO;
          v = s;
          p = e;
        }
        if (v > 0xffffffff) return Pos.NO;
      } else {
        return Pos.NO;
      }
      acc = (acc | v) >>> 0;
      p = skip(b, p);
      if (b[p] !== Ch.BAR) break;
      p = skip(b, p + 1);
    }
    this.val = acc;
    return p;
  }

  /** `#value` at p (a '#' the lexer would not take for a comment). */
  private imm(p: number): number {
    const b = this.b;
    if (b[p] !== Ch.HASH || hashComment(b[p + 1])) return Pos.NO;
    return this.value(p + 1);
  }

  /** `M[value]` at p. */
  private mem(p: number): number {
    const b = this.b;
    if (!letter(b, p, 109)) return Pos.NO;
    p = skip(b, p + 1);
    if (b[p] !== Ch.LBRACKET) return Pos.NO;
    p = this.value(skip(b, p + 1));
    if (p === Pos.NO || b[p] !== Ch.RBRACKET) return Pos.NO;
    return skip(b, p + 1);
  }

  /** A load address after `[`: a number or a whole context field (`bytes` wide), then `]`; k into val. */
  private address(p: number, bytes: number): number {
    const b = this.b;
    if (CHAR[b[p]] === Cls.ALPHA) {
      if (letter(b, p, 120)) return Pos.NO; // [x + k]
      let fid = this.fields.findHead(b, this.v, p);
      let e: number;
      if (fid >= 0) e = p + this.fields.length(fid);
      else {
        e = scanName(b, this.v, p);
        fid = this.fields.findBytes(this.v, p, e, NAME_HASH[0]);
        if (fid < 0) return Pos.NO;
      }
      const f = this.fields.value(fid);
      if (bytes === 4 ? f.offset % 4 !== 0 || f.size < 4 : bytes > f.size) return Pos.NO;
      p = skip(b, e);
      this.val = f.offset;
    } else {
      p = this.value(p);
      if (p === Pos.NO) return Pos.NO;
    }
    if (b[p] !== Ch.RBRACKET) return Pos.NO;
    return skip(b, p + 1);
  }

  /** A label name at p as the jump target of instruction pc's `field`; the position after it. */
  private target(p: number, pc: number, field: number, lineNo: number): number {
    const b = this.b;
    if (CHAR[b[p]] !== Cls.ALPHA) return Pos.NO;
    const e = scanName(b, this.v, p);
    const h = NAME_HASH[0];
    if ((h & Hash.DOTTED) !== 0) return Pos.NO;
    this.asm.jumpBytes(this.v, p, e, h, pc, field, lineNo);
    return skip(b, e);
  }

  /**
   * Lines from offset `start`, numbered from `lineNo`, until the text (`len` long) ends:
   * returns -1. Or until a line is declined: returns its start, with its number in
   * this.lineNo and its partial work undone.
   */
  scan(start: number, lineNo: number, len: number): number {
    const b = this.b;
    const v = this.v;
    const asm = this.asm;
    for (let p = start; p <= len; lineNo++) {
      const lineStart = p;
      const n0 = asm.n, fix0 = asm.fixN, def0 = asm.definedN;
      line: {
        p = skip(b, p);
        const first = p;
        let id = -1;
        // labels (`name:`, any number), then the mnemonic
        while (CHAR[b[p]] === Cls.ALPHA) {
          const s = p;
          // hashed before we know it is a label: a word or two, cheaper than reading it twice
          const e = scanName(b, v, p);
          p = skip(b, e);
          if (b[p] !== Ch.COLON) {
            id = mnemonicOf(v, s, e);
            if (id < 0) break line;
            break;
          }
          const h = NAME_HASH[0];
          if ((h & Hash.DOTTED) !== 0) break line;
          const label = asm.labelIdBytes(v, s, e, h);
          if (asm.labPc(label) >= 0) break line;
          asm.define(label, lineNo);
          p = skip(b, p + 1);
        }
        if (id >= 0) {
          p = this.operands(id, p, lineNo);
          if (p === Pos.NO) break line;
        }
        // the line ends here: its newline, or a comment the lexer would skip (`;`, `//`, and
        // `#` as the line's first token or before a blank); `/*` is the friendly parser's
        const c = b[p];
        if (c === Ch.SLASH ? b[p + 1] !== Ch.SLASH : c === Ch.HASH ? p !== first && !hashComment(b[p + 1]) : c !== Ch.NL && c !== Ch.SEMI) break line;
        while (b[p] !== Ch.NL) p++;
        p++;
        continue;
      }
      asm.rollback(n0, fix0, def0);
      this.lineNo = lineNo;
      return lineStart;
    }
    return -1;
  }

  /**
   * The operands of mnemonic `id` at p, emitting the instruction; where the line should
   * end, or Pos.NO. Every case only works out the code and k, and one emit() after the
   * switch writes them: V8 inlines a call site only while its budget for the function
   * lasts, and a dozen emit() sites used it up before value() and target() were reached.
   */
  private operands(id: number, p: number, lineNo: number): number {
    const b = this.b;
    const pc = this.asm.n;
    let code = CODE[id];
    let k = 0;
    // literal case labels (see SHAPE): a switch over them compiles to a jump table
    switch (SHAPE[id]) {
      case 0: { // ld
        const c = b[p];
        if (c === Ch.HASH) {
          if (hashComment(b[p + 1])) return Pos.NO;
          if (CHAR[b[p + 1]] === Cls.ALPHA && isKeyword(b, this.v, p + 1)) return Pos.NO;
          p = this.value(p + 1);
          code = BPF.LD | BPF.IMM;
        } else if (c === Ch.LBRACKET) {
          p = this.address(skip(b, p + 1), 4);
          code = BPF.LD | BPF.W | BPF.ABS;
        } else {
          p = this.mem(p);
          code = BPF.LD | BPF.MEM;
        }
        k = this.val;
        break;
      }
      case 1: // ldh, ldb
        if (b[p] !== Ch.LBRACKET) return Pos.NO;
        p = this.address(skip(b, p + 1), id === M_LDH ? 2 : 1);
        k = this.val;
        break;
      case 2: // ldi, ldxi: the '#' is optional here
        if (b[p] === Ch.HASH) {
          if (hashComment(b[p + 1])) return Pos.NO;
          p++;
        }
        p = this.value(p);
        k = this.val;
        break;
      case 3: // ldx
        if (b[p] === Ch.HASH) {
          if (hashComment(b[p + 1])) return Pos.NO;
          if (CHAR[b[p + 1]] === Cls.ALPHA && isKeyword(b, this.v, p + 1)) return Pos.NO;
          p = this.value(p + 1);
          code = BPF.LDX | BPF.IMM;
        } else {
          p = this.mem(p);
          code = BPF.LDX | BPF.MEM;
        }
        k = this.val;
        break;
      case 4: // st, stx
        p = this.mem(p);
        k = this.val;
        break;
      case 5: // ja, jmp: k is the label's distance
        code = BPF.JMP | BPF.JA;
        p = this.target(p, pc, JK, lineNo);
        break;
      case 6: // neg, tax, txa
        break;
      case 7: // ret
        if (letter(b, p, 97)) {
          code = BPF.RET | BPF.A;
          p = skip(b, p + 1);
        } else if (letter(b, p, 120)) {
          code = BPF.RET | BPF.X;
          p = skip(b, p + 1);
        } else {
          code = BPF.RET | BPF.K;
          p = this.imm(p);
          k = this.val;
        }
        break;
      case 8: // add, sub, ...: CODE is the K form; X sets the source bit
        if (letter(b, p, 120)) {
          code |= BPF.X;
          p = skip(b, p + 1);
        } else {
          p = this.imm(p);
          k = this.val;
        }
        break;
      case 9: // jeq, jne, ...: CODE is the K form
        if (letter(b, p, 120)) {
          code |= BPF.X;
          p = skip(b, p + 1);
        } else {
          p = this.imm(p);
          if (p === Pos.NO) return Pos.NO;
          k = this.val;
        }
        if (b[p] !== Ch.COMMA) return Pos.NO;
        p = this.target(skip(b, p + 1), pc, TARGET_FIELD[id], lineNo);
        if (p !== Pos.NO && TWO_TARGETS[id] !== 0 && b[p] === Ch.COMMA) p = this.target(skip(b, p + 1), pc, JF, lineNo);
        break;
      default: // ldxb: the friendly parser's
        return Pos.NO;
    }
    if (p === Pos.NO) return Pos.NO;
    this.asm.emit(code, 0, 0, k, lineNo);
    return p;
  }
}
