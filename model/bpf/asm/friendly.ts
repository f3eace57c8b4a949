// The friendly parser: bpf_asm's grammar over one lexed Line, with an error worded and
// located for every way a line can be wrong. It takes every line the fast scanner
// declines (errors, rare forms, block comments, text that is not ASCII), so every
// error the assembler reports comes from here.

import { fieldsInWord, type CtxField, type CtxLayout } from '../../abi/ctx.ts';
import { BPF, SKF_AD_OFF } from '../isa.ts';
import { parseUnsigned } from '../value.ts';
import type { Assembly } from './assembly.ts';
import { AsmError } from './error.ts';
import { ID, NUM, type Line } from './line.ts';
import type { NameTable } from './names.ts';
import {
  ALU_BY_ID, ANCILLARY, COND_BY_ID, JF, JK, MNEMONICS, MNEMONIC_INDEX, symbolStr, type JumpField,
  M_ALU, M_COND, M_JA, M_JMP, M_LD, M_LDB, M_LDH, M_LDI, M_LDX, M_LDXB, M_LDXI, M_NEG, M_RET, M_ST, M_STX, M_TAX, M_TXA,
} from './tables.ts';

/** The symbolic constant the name token at l's cursor spells, if it is one. */
function symbolAt(l: Line): number | undefined {
  return symbolStr(l.src, l.starts[l.i], l.ends[l.i], l.hashes[l.i]);
}

/** The id of the mnemonic the token at l's cursor spells, in any case, or -1. */
function mnemonicAt(l: Line): number {
  const h = l.caselessHash();
  const ix = MNEMONIC_INDEX;
  for (let s = ix.first(h), e = ix.slots[s]; e !== 0; s = (s + 1) & ix.mask, e = ix.slots[s]) {
    if (ix.hashes[e - 1] === h && l.isWord(MNEMONICS[e - 1])) return e - 1;
  }
  return -1;
}

export class FriendlyParser {
  constructor(readonly asm: Assembly, readonly layout: CtxLayout, readonly fields: NameTable<CtxField>) {}

  /** Labels and the instruction of one lexed line, into asm; throws an AsmError. */
  line(l: Line, lineNo: number): void {
    const asm = this.asm;
    // labels: `name:` (a label may stand alone on its line)
    while (l.kind() === ID && l.isPunct(':', 1)) {
      if (!l.isLabelName()) throw new AsmError('syntax', `'${l.text()}' is not a label name`, l.at(), 'letters, digits and _ (not starting with a digit)');
      const id = this.labelId(l);
      if (asm.labPc(id) >= 0) throw new AsmError('name', `label '${l.text()}' is already defined on line ${asm.labLine(id)}`, l.at());
      asm.define(id, lineNo);
      l.i += 2;
    }
    if (l.has()) {
      if (l.kind() === NUM && l.isPunct(':', 1)) this.quad(l, lineNo);
      else this.instruction(l, lineNo);
    }
  }

  labelId(l: Line): number {
    return this.asm.labelIdStr(l.starts[l.i], l.ends[l.i], l.hashes[l.i]);
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
        if (sym === undefined) {
          throw new AsmError('name', `unknown name '${text}'`, where, `${what}: a number or a symbolic constant such as AF_INET, SOCK_STREAM, O_CREAT, RESOLVE_BENEATH, SOCKET, EACCES`);
        }
        v = BigInt(sym);
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
      const fid = l.find(this.fields);
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
    const a = l.find(ANCILLARY, o);
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
    this.asm.fix(pc, field, this.labelId(l), l.starts[l.i], line);
    l.i++;
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
    this.asm.emit(nums[0], nums[1], nums[2], k, line);
  }

  instruction(l: Line, line: number): void {
    const asm = this.asm;
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
    const pc = asm.n;
    switch (id) {
      case M_LD: case M_LDH: case M_LDB: {
        const op = MNEMONICS[id];
        const size = id === M_LD ? BPF.W : id === M_LDH ? BPF.H : BPF.B;
        const bytes = id === M_LD ? 4 : id === M_LDH ? 2 : 1;
        const kw = this.keyword(l);
        if (kw && 'len' in kw) {
          if (id !== M_LD) throw new AsmError('syntax', `${op} cannot load len`, l.locOf(mt), "'ld len'");
          asm.emit(BPF.LD | BPF.W | BPF.LEN, 0, 0, 0, line);
        } else if (kw) {
          asm.emit(BPF.LD | size | BPF.ABS, 0, 0, SKF_AD_OFF + kw.anc, line);
        } else if (id === M_LD && l.isPunct('#')) {
          asm.emit(BPF.LD | BPF.IMM, 0, 0, this.imm(l, false), line);
        } else if (id === M_LD && l.isWord('m') && l.isPunct('[', 1)) {
          asm.emit(BPF.LD | BPF.MEM, 0, 0, this.mem(l), line);
        } else if (l.isPunct('[')) {
          l.i++;
          const a = this.address(l, bytes);
          asm.emit(BPF.LD | size | a.mode, 0, 0, a.k, line);
        } else {
          throw new AsmError('syntax', l.has() ? `unexpected '${l.text()}'` : `'${l.textOf(mt)}' needs an operand`, l.at(),
            id === M_LD ? "'#k', '[k]', '[field]', '[x + k]', 'M[k]' or 'len'" : "'[k]' or '[x + k]'");
        }
        break;
      }
      case M_LDI:
        asm.emit(BPF.LD | BPF.IMM, 0, 0, this.imm(l, true), line);
        break;
      case M_LDXI:
        asm.emit(BPF.LDX | BPF.IMM, 0, 0, this.imm(l, true), line);
        break;
      case M_LDX: {
        const kw = this.keyword(l);
        if (kw && 'len' in kw) asm.emit(BPF.LDX | BPF.W | BPF.LEN, 0, 0, 0, line);
        else if (kw) throw new AsmError('syntax', 'ldx cannot load an ancillary value', l.locOf(mt));
        else if (l.isPunct('#')) asm.emit(BPF.LDX | BPF.IMM, 0, 0, this.imm(l, false), line);
        else if (l.isWord('m') && l.isPunct('[', 1)) asm.emit(BPF.LDX | BPF.MEM, 0, 0, this.mem(l), line);
        else if (l.kind() === NUM) asm.emit(BPF.LDX | BPF.B | BPF.MSH, 0, 0, this.msh(l), line);
        else throw new AsmError('syntax', l.has() ? `unexpected '${l.text()}'` : "'ldx' needs an operand", l.at(), "'#k', 'M[k]', 'len' or '4 * ([k] & 0xf)'");
        break;
      }
      case M_LDXB:
        asm.emit(BPF.LDX | BPF.B | BPF.MSH, 0, 0, this.msh(l), line);
        break;
      case M_ST: case M_STX:
        asm.emit(id === M_ST ? BPF.ST : BPF.STX, 0, 0, this.mem(l), line);
        break;
      case M_JMP: case M_JA:
        asm.emit(BPF.JMP | BPF.JA, 0, 0, 0, line);
        this.target(l, pc, JK, line);
        break;
      case M_NEG:
        asm.emit(BPF.ALU | BPF.NEG, 0, 0, 0, line);
        break;
      case M_TAX:
        asm.emit(BPF.MISC | BPF.TAX, 0, 0, 0, line);
        break;
      case M_TXA:
        asm.emit(BPF.MISC | BPF.TXA, 0, 0, 0, line);
        break;
      case M_RET: {
        if (l.isWord('a') || (l.isPunct('%') && l.isWord('a', 1))) {
          l.i += l.isPunct('%') ? 2 : 1;
          asm.emit(BPF.RET | BPF.A, 0, 0, 0, line);
        } else if (this.isX(l)) {
          asm.emit(BPF.RET | BPF.X, 0, 0, 0, line);
        } else {
          asm.emit(BPF.RET | BPF.K, 0, 0, this.imm(l, false), line);
        }
        break;
      }
      default: {
        if (id >= M_ALU) {
          const alu = ALU_BY_ID[id - M_ALU];
          if (this.isX(l)) asm.emit(BPF.ALU | alu | BPF.X, 0, 0, 0, line);
          else asm.emit(BPF.ALU | alu | BPF.K, 0, 0, this.imm(l, false), line);
          break;
        }
        const c = COND_BY_ID[id - M_COND];
        let code: number;
        let k = 0;
        if (this.isX(l)) code = BPF.JMP | c.op | BPF.X;
        else { code = BPF.JMP | c.op | BPF.K; k = this.imm(l, false); }
        asm.emit(code, 0, 0, k, line);
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
}
