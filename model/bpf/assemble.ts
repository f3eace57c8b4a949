// The assembler: the kernel's bpf_asm syntax (tools/bpf/bpf_exp.y), plus raw
// `code:jt:jf:k` quads on any line, the trace format's symbolic constants as
// immediates, and named context fields in loads (`ld [socket.family]`).
// Every error points at the offending token.

import { err, ok, rfError, type Result, type SourceLoc } from '../errors.ts';
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

interface Tok {
  kind: 'id' | 'num' | 'punct';
  text: string;
  /** 1-based column in the line. */
  col: number;
}

/** A parse failure, thrown only inside this module; assemble() hands it back as an RfError value. */
class AsmError {
  constructor(readonly kind: 'syntax' | 'name' | 'range' | 'invalid', readonly message: string, readonly tok: { col: number; len: number } | null, readonly expected?: string) {}
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Remove comments, keeping columns: `;` and `//` to the end of the line, `/* *\/`
 * (which may span lines), and `#` when it starts the line or is followed by a blank
 * (so `# note` is a comment while `#AF_INET` is an immediate). Scans char codes and
 * only rebuilds a line that has a block comment, so long programs stay cheap.
 */
function stripComments(lines: string[]): string[] {
  let inBlock = false;
  const out = new Array<string>(lines.length);
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    let text = line;
    let end = line.length;
    let onlyBlanks = true;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (inBlock) {
        if (c === 42 /* * */ && line.charCodeAt(i + 1) === 47) {
          inBlock = false;
          text = text.slice(0, i + 2).replace(/[^\t]/g, ' ') + text.slice(i + 2);
          i++;
        }
        continue;
      }
      if (c === 47 /* / */ && line.charCodeAt(i + 1) === 42) {
        // blank out from here; the closing */ (on this line or a later one) restores text after it
        inBlock = true;
        text = text.slice(0, i) + text.slice(i).replace(/[^\t]/g, ' ');
        // keep scanning the original line for the close
        const close = line.indexOf('*/', i + 2);
        if (close >= 0) {
          inBlock = false;
          text = text.slice(0, close + 2) + line.slice(close + 2);
          i = close + 1;
        } else {
          i = line.length;
        }
        continue;
      }
      if (c === 59 /* ; */ || (c === 47 && line.charCodeAt(i + 1) === 47)) { end = i; break; }
      if (c === 35 /* # */) {
        const next = line.charCodeAt(i + 1);
        if (Number.isNaN(next) || next === 32 || next === 9 || onlyBlanks) { end = i; break; }
      }
      if (c !== 32 && c !== 9) onlyBlanks = false;
    }
    if (inBlock && text === line) text = text.replace(/[^\t]/g, ' ');
    out[n] = end < text.length ? text.slice(0, end) : text;
  }
  return out;
}

const enum Ch { Tab = 9, CR = 13, Space = 32 }

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 46;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
const PUNCT = ':,#%[]()+*&|-';
/** One shared string per punctuation character, so tokens do not allocate them. */
const PUNCT_TEXT: string[] = [];
for (const ch of PUNCT) PUNCT_TEXT[ch.charCodeAt(0)] = ch;

function tokenize(line: string): Tok[] | AsmError {
  const toks: Tok[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === Ch.Space || c === Ch.Tab || c === Ch.CR) { i++; continue; }
    const start = i;
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(line.charCodeAt(i))) i++;
      toks.push({ kind: 'id', text: line.slice(start, i), col: start + 1 });
    } else if (isDigit(c)) {
      i++;
      while (i < n && (isIdentStart(line.charCodeAt(i)) || isDigit(line.charCodeAt(i)))) i++;
      toks.push({ kind: 'num', text: line.slice(start, i), col: start + 1 });
    } else if (PUNCT.includes(line[i])) {
      toks.push({ kind: 'punct', text: PUNCT_TEXT[c], col: start + 1 });
      i++;
    } else {
      return new AsmError('syntax', `unexpected character '${line[i]}'`, { col: start + 1, len: 1 }, 'an instruction, a label or a comment');
    }
  }
  return toks;
}

/** A decimal or 0x number small enough for exact double arithmetic; undefined otherwise. */
function smallNumber(text: string): number | undefined {
  const c1 = text.charCodeAt(1);
  if (text.charCodeAt(0) === 48 && (c1 === 120 || c1 === 88)) {
    if (text.length > 2 + 12 || !/^0[xX][0-9a-fA-F]+$/.test(text)) return undefined;
    return parseInt(text.slice(2), 16);
  }
  if (text.length > 15 || (text.length > 1 && text.charCodeAt(0) === 48)) return undefined; // octal/binary: slow path
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return +text;
}

/** lookupSymbol, memoised: programs repeat the same few names many times. */
const symbolCache = new Map<string, number | null>();
function symbol(name: string): number | undefined {
  const hit = symbolCache.get(name);
  if (hit !== undefined) return hit ?? undefined;
  const v = lookupSymbol(name, ALL_SYMBOL_KINDS);
  if (symbolCache.size < 10000) symbolCache.set(name, v ?? null);
  return v;
}

/** Fixup for a jump target named by a label, resolved once every label is known. */
interface Fixup { pc: number; field: 'jt' | 'jf' | 'k'; tok: Tok; line: number }

const COND: Record<string, { op: number; field: 'jt' | 'jf'; two: boolean }> = {
  jeq: { op: BPF.JEQ, field: 'jt', two: true },
  jgt: { op: BPF.JGT, field: 'jt', two: true },
  jge: { op: BPF.JGE, field: 'jt', two: true },
  jset: { op: BPF.JSET, field: 'jt', two: true },
  // bpf_asm's negated forms: one target, taken when the condition is false
  jneq: { op: BPF.JEQ, field: 'jf', two: false },
  jne: { op: BPF.JEQ, field: 'jf', two: false },
  jlt: { op: BPF.JGE, field: 'jf', two: false },
  jle: { op: BPF.JGT, field: 'jf', two: false },
};

const ALU: Record<string, number> = {
  add: BPF.ADD, sub: BPF.SUB, mul: BPF.MUL, div: BPF.DIV, mod: BPF.MOD, and: BPF.AND,
  or: BPF.OR, xor: BPF.XOR, lsh: BPF.LSH, rsh: BPF.RSH,
};

const MNEMONICS = [
  'ld', 'ldi', 'ldh', 'ldb', 'ldx', 'ldxi', 'ldxb', 'st', 'stx', 'jmp', 'ja', ...Object.keys(COND),
  ...Object.keys(ALU), 'neg', 'ret', 'tax', 'txa',
];

/** Mnemonic text to its interned lower-case spelling, so the dispatch compares pointers. */
const MNEMONIC_CANON = new Map<string, string>(MNEMONICS.map((m) => [m, m]));

/** A cursor over one line's tokens. */
class Line {
  i = 0;
  constructor(readonly toks: Tok[], readonly text: string) {}
  /** Where "the line ends too early" points: just past its last character. */
  get endCol(): number { return this.text.trimEnd().length + 1; }
  peek(o = 0): Tok | undefined { return this.toks[this.i + o]; }
  next(): Tok | undefined { return this.toks[this.i++]; }
  at(): { col: number; len: number } {
    const t = this.peek();
    return t ? { col: t.col, len: t.text.length } : { col: this.endCol, len: 1 };
  }
  isPunct(p: string, o = 0): boolean { const t = this.peek(o); return t?.kind === 'punct' && t.text === p; }
  isWord(w: string, o = 0): boolean { const t = this.peek(o); return t?.kind === 'id' && t.text.toLowerCase() === w; }
  expectPunct(p: string, what: string): void {
    if (!this.isPunct(p)) throw new AsmError('syntax', this.peek() ? `unexpected '${this.peek()!.text}'` : 'the line ends too early', this.at(), what);
    this.i++;
  }
  done(what = 'the end of the line'): void {
    const t = this.peek();
    if (t) throw new AsmError('syntax', `unexpected '${t.text}'`, this.at(), what);
  }
}

class Assembler {
  insns: Insn[] = [];
  lines: number[] = [];
  labels = new Map<string, number>();
  labelToks = new Map<string, { line: number; tok: Tok }>();
  fixups: Fixup[] = [];
  constructor(readonly layout: CtxLayout) {}

  /** `['-'] (number | NAME) ('|' ['-'] (number | NAME))*`, as a u32. */
  value(l: Line, what: string): number {
    // fast path: one or more plain numbers/names below 2^32 joined by '|', no minus
    const start = l.i;
    let fast = 0;
    for (;;) {
      const t = l.peek();
      if (!t || t.kind === 'punct') break;
      const v = t.kind === 'num' ? smallNumber(t.text) : symbol(t.text);
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
    const first = l.peek();
    if (!first) throw new AsmError('syntax', 'the line ends too early', l.at(), what);
    let acc = 0n;
    const firstCol = first.col;
    let lastEnd = first.col;
    for (;;) {
      let neg = false;
      if (l.isPunct('-')) { neg = true; l.next(); }
      const t = l.peek();
      if (!t || t.kind === 'punct') throw new AsmError('syntax', t ? `unexpected '${t.text}'` : 'the line ends too early', l.at(), what);
      l.next();
      let v: bigint | undefined;
      if (t.kind === 'num') {
        v = parseUnsigned(t.text);
        if (v === undefined) throw new AsmError('syntax', `'${t.text}' is not a number`, { col: t.col, len: t.text.length }, 'a decimal, 0x hex, 0b binary or 0 octal number');
      } else {
        const s = symbol(t.text);
        if (s === undefined) {
          throw new AsmError('name', `unknown name '${t.text}'`, { col: t.col, len: t.text.length }, `${what}: a number or a symbolic constant such as AF_INET, SOCK_STREAM, O_CREAT, RESOLVE_BENEATH, SOCKET, EACCES`);
        }
        v = BigInt(s);
      }
      if (neg) v = -v;
      acc = acc | v;
      lastEnd = t.col + t.text.length;
      if (!l.isPunct('|')) break;
      l.next();
    }
    if (acc < -(1n << 31n) || acc > 0xffffffffn) {
      throw new AsmError('range', `${acc} does not fit in 32 bits`, { col: firstCol, len: lastEnd - firstCol }, 'a value from -2147483648 to 4294967295');
    }
    return Number(BigInt.asUintN(32, acc));
  }

  /** `#value`, or a bare value where bpf_asm allows one (`ldi 5`). */
  imm(l: Line, bareOk: boolean): number {
    if (l.isPunct('#')) l.next();
    else if (!bareOk) throw new AsmError('syntax', l.peek() ? `unexpected '${l.peek()!.text}'` : 'the line ends too early', l.at(), "an immediate such as '#2' or '#AF_INET'");
    return this.value(l, 'an immediate value');
  }

  /** `M[k]`. */
  mem(l: Line): number {
    if (!l.isWord('m')) throw new AsmError('syntax', l.peek() ? `unexpected '${l.peek()!.text}'` : 'the line ends too early', l.at(), "a scratch cell 'M[0]' .. 'M[15]'");
    l.next();
    l.expectPunct('[', "'[' after M");
    const k = this.value(l, 'a scratch cell index 0..15');
    l.expectPunct(']', "']'");
    return k;
  }

  /** `x` or `%x` (the X register as an operand). */
  isX(l: Line): boolean {
    if (l.isWord('x')) { l.next(); return true; }
    if (l.isPunct('%') && l.isWord('x', 1)) { l.i += 2; return true; }
    return false;
  }

  field(name: Tok): CtxField | undefined {
    return this.layout.fields.find((f) => f.name === name.text);
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
    const t = l.peek();
    if (t?.kind === 'id') {
      const f = this.field(t);
      if (f) {
        l.next();
        let extra = 0;
        if (l.isPunct('+')) { l.next(); extra = this.value(l, 'an offset into the field'); }
        const k = f.offset + extra;
        if (size === 4) {
          const whole = f.offset % 4 === 0 && extra % 4 === 0 && f.size >= extra + 4;
          if (!whole) {
            const word = k - (k % 4);
            const why = f.size < 4
              ? `'${f.name}' is a ${f.size}-byte field at offset ${f.offset}, not a whole aligned 32-bit word`
              : `[${f.name} + ${extra}] (offset ${k}) is not a whole aligned 32-bit word inside '${f.name}' (${f.size} bytes at offset ${f.offset})`;
            throw new AsmError('invalid', `${why}: ${this.describeWord(word, f.member)}; load [${word}] and mask or shift`, { col: t.col, len: t.text.length });
          }
        } else if (extra + size > f.size) {
          throw new AsmError('invalid', `[${f.name} + ${extra}] reaches past the end of '${f.name}' (${f.size} bytes)`, { col: t.col, len: t.text.length });
        }
        l.expectPunct(']', "']'");
        return { mode: BPF.ABS, k };
      }
      if (t.text.includes('.') || /^[a-z]/.test(t.text)) {
        throw new AsmError('name', `unknown context field '${t.text}'`, { col: t.col, len: t.text.length },
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
    const t = l.peek(o);
    if (t?.kind !== 'id') return null;
    const w = t.text.toLowerCase();
    if (w === 'len') { l.i += o + 1; return { len: true }; }
    if (Object.hasOwn(SKF_AD, w) && t.text === w) { l.i += o + 1; return { anc: SKF_AD[w] }; }
    return null;
  }

  /** `4 * ([k] & 0xf)`, the only form of ldxb. */
  msh(l: Line): number {
    const four = l.peek();
    const fourVal = this.value(l, "'4' in '4 * ([k] & 0xf)'");
    l.expectPunct('*', "'*' in '4 * ([k] & 0xf)'");
    l.expectPunct('(', "'(' in '4 * ([k] & 0xf)'");
    l.expectPunct('[', "'[' in '4 * ([k] & 0xf)'");
    const k = this.value(l, 'an offset');
    l.expectPunct(']', "']'");
    l.expectPunct('&', "'&' in '4 * ([k] & 0xf)'");
    const maskTok = l.peek();
    const mask = this.value(l, "'0xf'");
    l.expectPunct(')', "')'");
    if (fourVal !== 4) throw new AsmError('invalid', 'ldxb only supports 4 * ([k] & 0xf)', { col: four!.col, len: four!.text.length });
    if (mask !== 0xf) throw new AsmError('invalid', 'ldxb only supports 4 * ([k] & 0xf)', { col: maskTok!.col, len: maskTok!.text.length });
    return k;
  }

  target(l: Line, pc: number, field: 'jt' | 'jf' | 'k', line: number): void {
    const t = l.peek();
    if (!t || t.kind !== 'id' || !LABEL.test(t.text)) {
      throw new AsmError('syntax', t ? `'${t.text}' is not a label` : 'the line ends too early', l.at(), 'a label to jump to');
    }
    l.next();
    this.fixups.push({ pc, field, tok: t, line });
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
      const t = l.peek();
      const v = this.value(l, names[f]);
      if (v > limits[f]) {
        throw new AsmError('range', `${v} does not fit the ${names[f]} field`, t ? { col: t.col, len: t.text.length } : l.at(), `0..${limits[f]}`);
      }
      nums.push(v);
      l.expectPunct(':', "':' between the fields of code:jt:jf:k");
    }
    const k = this.value(l, 'k (u32)');
    l.done();
    this.emit(nums[0], nums[1], nums[2], k, line);
  }

  instruction(l: Line, line: number): void {
    const m = l.next()!;
    if (m.kind !== 'id') {
      throw new AsmError('syntax', `unexpected '${m.text}'`, { col: m.col, len: m.text.length }, "a mnemonic such as 'ld', 'jeq' or 'ret', a label, or a code:jt:jf:k quad");
    }
    const op = MNEMONIC_CANON.get(m.text) ?? MNEMONIC_CANON.get(m.text.toLowerCase()) ?? m.text.toLowerCase();
    const pc = this.insns.length;
    switch (op) {
      case 'ld': case 'ldh': case 'ldb': {
        const size = op === 'ld' ? BPF.W : op === 'ldh' ? BPF.H : BPF.B;
        const bytes = op === 'ld' ? 4 : op === 'ldh' ? 2 : 1;
        const kw = this.keyword(l);
        if (kw && 'len' in kw) {
          if (op !== 'ld') throw new AsmError('syntax', `${op} cannot load len`, { col: m.col, len: m.text.length }, "'ld len'");
          this.emit(BPF.LD | BPF.W | BPF.LEN, 0, 0, 0, line);
        } else if (kw) {
          this.emit(BPF.LD | size | BPF.ABS, 0, 0, SKF_AD_OFF + kw.anc, line);
        } else if (op === 'ld' && l.isPunct('#')) {
          this.emit(BPF.LD | BPF.IMM, 0, 0, this.imm(l, false), line);
        } else if (op === 'ld' && l.isWord('m') && l.isPunct('[', 1)) {
          this.emit(BPF.LD | BPF.MEM, 0, 0, this.mem(l), line);
        } else if (l.isPunct('[')) {
          l.next();
          const a = this.address(l, bytes);
          this.emit(BPF.LD | size | a.mode, 0, 0, a.k, line);
        } else {
          throw new AsmError('syntax', l.peek() ? `unexpected '${l.peek()!.text}'` : `'${m.text}' needs an operand`, l.at(),
            op === 'ld' ? "'#k', '[k]', '[field]', '[x + k]', 'M[k]' or 'len'" : "'[k]' or '[x + k]'");
        }
        break;
      }
      case 'ldi':
        this.emit(BPF.LD | BPF.IMM, 0, 0, this.imm(l, true), line);
        break;
      case 'ldxi':
        this.emit(BPF.LDX | BPF.IMM, 0, 0, this.imm(l, true), line);
        break;
      case 'ldx': {
        const kw = this.keyword(l);
        if (kw && 'len' in kw) this.emit(BPF.LDX | BPF.W | BPF.LEN, 0, 0, 0, line);
        else if (kw) throw new AsmError('syntax', 'ldx cannot load an ancillary value', { col: m.col, len: m.text.length });
        else if (l.isPunct('#')) this.emit(BPF.LDX | BPF.IMM, 0, 0, this.imm(l, false), line);
        else if (l.isWord('m') && l.isPunct('[', 1)) this.emit(BPF.LDX | BPF.MEM, 0, 0, this.mem(l), line);
        else if (l.peek()?.kind === 'num') this.emit(BPF.LDX | BPF.B | BPF.MSH, 0, 0, this.msh(l), line);
        else throw new AsmError('syntax', l.peek() ? `unexpected '${l.peek()!.text}'` : "'ldx' needs an operand", l.at(), "'#k', 'M[k]', 'len' or '4 * ([k] & 0xf)'");
        break;
      }
      case 'ldxb':
        this.emit(BPF.LDX | BPF.B | BPF.MSH, 0, 0, this.msh(l), line);
        break;
      case 'st': case 'stx':
        this.emit(op === 'st' ? BPF.ST : BPF.STX, 0, 0, this.mem(l), line);
        break;
      case 'jmp': case 'ja':
        this.emit(BPF.JMP | BPF.JA, 0, 0, 0, line);
        this.target(l, pc, 'k', line);
        break;
      case 'neg':
        this.emit(BPF.ALU | BPF.NEG, 0, 0, 0, line);
        break;
      case 'tax':
        this.emit(BPF.MISC | BPF.TAX, 0, 0, 0, line);
        break;
      case 'txa':
        this.emit(BPF.MISC | BPF.TXA, 0, 0, 0, line);
        break;
      case 'ret': {
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
        if (Object.hasOwn(ALU, op)) {
          if (this.isX(l)) this.emit(BPF.ALU | ALU[op] | BPF.X, 0, 0, 0, line);
          else this.emit(BPF.ALU | ALU[op] | BPF.K, 0, 0, this.imm(l, false), line);
          break;
        }
        const c = COND[op];
        if (!c) {
          throw new AsmError('syntax', `unknown instruction '${m.text}'`, { col: m.col, len: m.text.length }, `one of ${MNEMONICS.join(' ')}`);
        }
        let code: number;
        let k = 0;
        if (this.isX(l)) code = BPF.JMP | c.op | BPF.X;
        else { code = BPF.JMP | c.op | BPF.K; k = this.imm(l, false); }
        this.emit(code, 0, 0, k, line);
        l.expectPunct(',', "',' and a label");
        this.target(l, pc, c.field, line);
        if (c.two && l.isPunct(',')) {
          l.next();
          this.target(l, pc, 'jf', line);
        }
      }
    }
    l.done();
  }

  resolve(loc: (line: number, col: number, len: number) => SourceLoc): Result<void> {
    for (const f of this.fixups) {
      const target = this.labels.get(f.tok.text);
      const where = loc(f.line, f.tok.col, f.tok.text.length);
      if (target === undefined) {
        const known = [...this.labels.keys()];
        return err(rfError('name', `no label '${f.tok.text}'`, where, known.length ? `one of the labels ${known.join(', ')}` : 'a label defined as \'name:\' before an instruction'));
      }
      if (target >= this.insns.length) {
        return err(rfError('invalid', `label '${f.tok.text}' is after the last instruction`, where, 'a label on an instruction'));
      }
      const delta = target - f.pc - 1;
      if (delta < 0) {
        return err(rfError('invalid', `jump from instruction ${f.pc} back to ${target} ('${f.tok.text}'): classic BPF jumps only forward`, where));
      }
      if (f.field !== 'k' && delta > 255) {
        return err(rfError('range', `'${f.tok.text}' is ${delta + 1} instructions ahead; a conditional jump reaches at most 256 (jt and jf are u8)`, where, "a nearer label, or a 'ja' to bridge the distance"));
      }
      // a plain property store per field: a computed key would be a slow generic store
      const insn = this.insns[f.pc];
      if (f.field === 'jt') insn.jt = delta;
      else if (f.field === 'jf') insn.jf = delta;
      else insn.k = delta;
    }
    return ok(undefined);
  }
}

/** Assemble and also return the source line of each instruction and the labels. */
export function assembleDetailed(text: string, opts: AssembleOptions = {}): Result<Assembled> {
  const file = opts.file ?? '<input>';
  const line0 = opts.line0 ?? 1;
  const col0 = opts.col0 ?? 0;
  const loc = (line: number, col: number, len: number): SourceLoc => ({ file, line, col: col + col0, len });
  const asm = new Assembler(opts.layout ?? CTX_V7);
  const raw = text.split('\n');
  const lines = stripComments(raw);
  for (let n = 0; n < lines.length; n++) {
    const lineNo = line0 + n;
    const toks = tokenize(lines[n]);
    try {
      if (toks instanceof AsmError) throw toks;
      const l = new Line(toks, lines[n]);
      // labels: `name:` (a label may stand alone on its line)
      while (l.peek()?.kind === 'id' && l.isPunct(':', 1)) {
        const t = l.next()!;
        l.next();
        if (!LABEL.test(t.text)) throw new AsmError('syntax', `'${t.text}' is not a label name`, { col: t.col, len: t.text.length }, 'letters, digits and _ (not starting with a digit)');
        const prev = asm.labelToks.get(t.text);
        if (prev) throw new AsmError('name', `label '${t.text}' is already defined on line ${prev.line}`, { col: t.col, len: t.text.length });
        asm.labels.set(t.text, asm.insns.length);
        asm.labelToks.set(t.text, { line: lineNo, tok: t });
      }
      if (!l.peek()) continue;
      if (l.peek()!.kind === 'num' && l.isPunct(':', 1)) asm.quad(l, lineNo);
      else asm.instruction(l, lineNo);
    } catch (e) {
      if (!(e instanceof AsmError)) throw e;
      return err(rfError(e.kind, e.message, e.tok ? loc(lineNo, e.tok.col, e.tok.len) : undefined, e.expected));
    }
  }
  if (asm.insns.length === 0) {
    return err(rfError('syntax', 'the program has no instructions', { file, line: line0, col: 1 + col0 }, "at least one instruction, such as 'ret #1'"));
  }
  const r = asm.resolve((line, col, len) => loc(line, col, len));
  if (!r.ok) return r;
  return ok({ insns: asm.insns, lines: asm.lines, labels: asm.labels });
}

/**
 * Assemble bpf_asm text (raw `code:jt:jf:k` quads allowed on any line). Errors are
 * located in `file` at `line0`-based lines.
 */
export function assemble(text: string, opts: AssembleOptions = {}): Result<Insn[]> {
  const r = assembleDetailed(text, opts);
  return r.ok ? ok(r.value.insns) : r;
}
