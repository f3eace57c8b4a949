// The disassembler: bpf_asm text that assembles back to exactly the same
// instructions. An instruction whose encoding bpf_asm cannot spell (stray jt/jf on
// a non-jump, k on an X form, a code outside the ISA, the io_uring-rewritten 0x21)
// is printed as a raw code:jt:jf:k quad, which the assembler also reads.
// With `annotate`, comments name the context fields loaded and the constants compared.

import { CTX_V7, fieldsInWord, type CtxLayout } from '../abi/ctx.ts';
import { namesFor, SYMBOLS, type SymbolKind } from '../abi/symbols.ts';
import type { Insn } from './insn.ts';
import { BPF, SKF_AD, SKF_AD_OFF, LDX_W_ABS, bpfClass, bpfOp, bpfSrc, isCondJump } from './isa.ts';
import { formatQuad } from './codec.ts';

export interface DisassembleOptions {
  /** Add `;` comments naming context fields, constants and allow/deny. */
  annotate?: boolean;
  /** Context layout for field names (default CTX_V7). */
  layout?: CtxLayout;
  /** Which payload union member to name at offsets 16..39 (all of them when absent). */
  payload?: 'socket' | 'open' | 'connect';
  /**
   * With annotate: spell operands by name where the assembler reads the name back to the
   * same instruction under the same layout: `ld [socket.family]` for a load of exactly
   * one 4-byte field, `jeq #AF_INET` for a constant compared with a field whose
   * constants have names.
   */
  symbolic?: boolean;
}

const ALU_NAMES: Record<number, string> = {
  [BPF.ADD]: 'add', [BPF.SUB]: 'sub', [BPF.MUL]: 'mul', [BPF.DIV]: 'div', [BPF.OR]: 'or', [BPF.AND]: 'and',
  [BPF.LSH]: 'lsh', [BPF.RSH]: 'rsh', [BPF.MOD]: 'mod', [BPF.XOR]: 'xor',
};
const JMP_NAMES: Record<number, string> = { [BPF.JEQ]: 'jeq', [BPF.JGT]: 'jgt', [BPF.JGE]: 'jge', [BPF.JSET]: 'jset' };
const ANC_NAMES = new Map<number, string>();
for (const [name, off] of Object.entries(SKF_AD)) if (!ANC_NAMES.has(off) && name !== 'alu_xor_x') ANC_NAMES.set(off, name);

const imm = (k: number): string => (k < 0x1000 ? String(k) : '0x' + k.toString(16));
/** Masks read better in hex. */
const mask = (k: number): string => (k < 10 ? String(k) : '0x' + k.toString(16));

/**
 * bpf_asm text for one instruction, or null when bpf_asm cannot spell this exact
 * encoding. `label(target)` names an absolute jump target.
 */
export function formatMnemonic(i: Insn, pc: number, label: (target: number) => string): string | null {
  const k = i.k >>> 0;
  const cond = i.code <= 0xff && isCondJump(i.code) && JMP_NAMES[bpfOp(i.code)] !== undefined;
  if (!cond && (i.jt !== 0 || i.jf !== 0)) return null;
  const kZero = k === 0;
  switch (i.code) {
    case BPF.LD | BPF.IMM: return `ld #${imm(k)}`;
    case BPF.LDX | BPF.IMM: return `ldx #${imm(k)}`;
    case BPF.LD | BPF.W | BPF.ABS: case BPF.LD | BPF.H | BPF.ABS: case BPF.LD | BPF.B | BPF.ABS: {
      const op = ['ld', 'ldh', 'ldb'][(i.code & 0x18) >> 3];
      const anc = k >= SKF_AD_OFF ? ANC_NAMES.get(k - SKF_AD_OFF) : undefined;
      return anc !== undefined ? `${op} #${anc}` : `${op} [${k}]`;
    }
    case BPF.LD | BPF.W | BPF.IND: case BPF.LD | BPF.H | BPF.IND: case BPF.LD | BPF.B | BPF.IND:
      return `${['ld', 'ldh', 'ldb'][(i.code & 0x18) >> 3]} [x + ${k}]`;
    case BPF.LD | BPF.MEM: return `ld M[${k}]`;
    case BPF.LDX | BPF.MEM: return `ldx M[${k}]`;
    case BPF.LD | BPF.W | BPF.LEN: return kZero ? 'ld len' : null;
    case BPF.LDX | BPF.W | BPF.LEN: return kZero ? 'ldx len' : null;
    case BPF.LDX | BPF.B | BPF.MSH: return `ldxb 4 * ([${k}] & 0xf)`;
    case BPF.ST: return `st M[${k}]`;
    case BPF.STX: return `stx M[${k}]`;
    case BPF.MISC | BPF.TAX: return kZero ? 'tax' : null;
    case BPF.MISC | BPF.TXA: return kZero ? 'txa' : null;
    case BPF.RET | BPF.K: return `ret #${imm(k)}`;
    case BPF.RET | BPF.A: return kZero ? 'ret a' : null;
    case BPF.RET | BPF.X: return kZero ? 'ret x' : null;
    case BPF.ALU | BPF.NEG: return kZero ? 'neg' : null;
    case BPF.JMP | BPF.JA: return `ja ${label(pc + 1 + k)}`;
  }
  if (i.code <= 0xff && bpfClass(i.code) === BPF.ALU && ALU_NAMES[bpfOp(i.code)] !== undefined && bpfOp(i.code) !== BPF.NEG) {
    if (bpfSrc(i.code) === BPF.X) return kZero ? `${ALU_NAMES[bpfOp(i.code)]} x` : null;
    const bitwise = bpfOp(i.code) === BPF.AND || bpfOp(i.code) === BPF.OR || bpfOp(i.code) === BPF.XOR;
    return `${ALU_NAMES[bpfOp(i.code)]} #${bitwise ? mask(k) : imm(k)}`;
  }
  if (cond) {
    const name = JMP_NAMES[bpfOp(i.code)];
    let operand: string;
    if (bpfSrc(i.code) === BPF.X) { if (!kZero) return null; operand = 'x'; } else operand = `#${bpfOp(i.code) === BPF.JSET ? mask(k) : imm(k)}`;
    const t = label(pc + 1 + i.jt);
    return i.jf === 0 ? `${name} ${operand}, ${t}` : `${name} ${operand}, ${t}, ${label(pc + 1 + i.jf)}`;
  }
  return null;
}

/** Which symbol kind names the constants compared against a context field. */
const FIELD_KINDS: Record<string, SymbolKind> = {
  opcode: 'opcode', sqe_flags: 'sqe_flag',
  'socket.family': 'af', 'socket.type': 'sock', 'socket.protocol': 'ipproto',
  'open.flags': 'open_flag', 'open.resolve': 'resolve', 'connect.family': 'af',
};
const FLAG_KINDS = new Set<SymbolKind>(['open_flag', 'resolve', 'sock', 'sqe_flag']);

function nameConstant(kind: SymbolKind, k: number): string | null {
  const exact = namesFor(kind, k);
  if (exact.length) return exact[0];
  if (!FLAG_KINDS.has(kind) || k === 0) return null;
  // decompose into single-bit names where every bit has one (SOCK_STREAM|SOCK_NONBLOCK)
  const parts: string[] = [];
  let rest = k;
  const singles = [...SYMBOLS[kind]].filter(([, v]) => v !== 0 && (v & (v - 1)) === 0).sort((p, q) => q[1] - p[1]);
  for (const [n, v] of singles) if ((rest & v) === v && !parts.some((p) => SYMBOLS[kind].get(p) === v)) { parts.push(n); rest &= ~v; }
  if (rest !== 0 && kind === 'sock') {
    const base = namesFor(kind, rest);
    if (base.length) { parts.push(base[0]); rest = 0; }
  }
  return rest === 0 && parts.length ? parts.reverse().join('|') : null;
}

function describeWord(layout: CtxLayout, offset: number, payload?: string): string {
  if (offset >= layout.size) return `beyond the ${layout.size}-byte context`;
  const fs = fieldsInWord(layout, offset).filter((f) => !payload || !f.member || f.member === payload);
  return fs.map((f) => {
    const from = Math.max(f.offset, offset) - offset;
    const to = Math.min(f.offset + f.size, offset + 4) - offset - 1;
    if (from === 0 && to === 3 && (offset - f.offset) % 4 === 0) {
      if (f.size === 4) return f.name;
      const w = (offset - f.offset) / 4;
      return `${f.name} (${w === 0 ? 'low word' : `word ${w}`})`;
    }
    return `${f.name} (${from === to ? `byte ${from}` : `bytes ${from}-${to}`})`;
  }).join(', ');
}

/** Disassemble to bpf_asm text; assembling the result gives back the same instructions. */
export function disassemble(insns: readonly Insn[], opts: DisassembleOptions = {}): string {
  return disassembleLines(insns, opts).lines.join('\n') + '\n';
}

/**
 * Each instruction's text alone (no label, no comment; jump targets as L<index>), as
 * the disassembler spells it with these options: `run --trace`'s instruction column.
 */
export function instructionTexts(insns: readonly Insn[], opts: DisassembleOptions = {}): string[] {
  return disassembleLines(insns, { ...opts, annotate: opts.annotate ?? opts.symbolic }).texts;
}

function disassembleLines(insns: readonly Insn[], opts: DisassembleOptions): { lines: string[]; texts: string[] } {
  const layout = opts.layout ?? CTX_V7;
  const n = insns.length;
  // jump targets inside the program get labels; anything else forces a quad
  const targets = new Set<number>();
  const jumpTargets = (i: Insn, pc: number): number[] =>
    i.code === (BPF.JMP | BPF.JA) ? [pc + 1 + (i.k >>> 0)] : isCondJump(i.code) ? [pc + 1 + i.jt, pc + 1 + i.jf] : [];
  const texts: Array<string | null> = insns.map((i, pc) => {
    const ts = jumpTargets(i, pc);
    if (ts.some((t) => t >= n)) return null;
    return formatMnemonic(i, pc, (t) => `L${t}`);
  });
  texts.forEach((t, pc) => {
    if (t === null) return;
    const i = insns[pc];
    // a conditional with jf == 0 prints only its jt label
    const shown = isCondJump(i.code) && i.jf === 0 ? [pc + 1 + i.jt] : jumpTargets(i, pc);
    for (const target of shown) targets.add(target);
  });
  const width = Math.max(0, ...[...targets].map((t) => `L${t}:`.length));
  const body: string[] = [];
  const plain: string[] = [];
  // What A holds, for naming constants: a whole field, or a context word (possibly shifted
  // right by whole bytes) that an `and #0xff` narrows to the one-byte field there.
  let lastField: string | null = null;
  let word: { offset: number; shift: number } | null = null;
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc];
    if (targets.has(pc)) { lastField = null; word = null; }
    const label = targets.has(pc) ? `L${pc}:` : '';
    let text = texts[pc] ?? formatQuad(i);
    if (opts.annotate) {
      let note = annotation(i, layout, opts.payload, lastField);
      if (opts.symbolic && texts[pc] !== null) {
        const named = symbolicText(i, text, layout, opts.payload, lastField);
        if (named !== text) { text = named; note = i.code === (BPF.RET | BPF.K) ? note : null; }
      }
      const k = i.k >>> 0;
      const member = (f: { member?: string }) => !opts.payload || !f.member || f.member === opts.payload;
      if ((i.code === (BPF.LD | BPF.W | BPF.ABS) || i.code === LDX_W_ABS) && k < layout.size) {
        const whole = fieldsInWord(layout, k).filter((f) => f.offset === k && f.size >= 4 && member(f));
        lastField = whole.length && new Set(whole.map((f) => FIELD_KINDS[f.name])).size === 1 ? whole[0].name : null;
        word = { offset: k, shift: 0 };
      } else if (word && i.code === (BPF.ALU | BPF.RSH | BPF.K) && k % 8 === 0 && word.shift + k / 8 < 4) {
        word = { offset: word.offset, shift: word.shift + k / 8 };
        lastField = null;
      } else if (word && i.code === (BPF.ALU | BPF.AND | BPF.K) && k === 0xff) {
        const at = word.offset + word.shift;
        const byte = layout.fields.find((f) => f.offset === at && f.size === 1 && member(f));
        lastField = byte ? byte.name : null;
        word = null;
      } else if (bpfClass(i.code) !== BPF.JMP) {
        lastField = null;
        word = null;
      }
      plain.push(text);
      if (note) text = text.padEnd(28) + ' ; ' + note;
    } else plain.push(text);
    body.push(width ? `${label.padEnd(width)} ${text}` : text);
  }
  return { lines: body, texts: plain };
}

/** `text` with the field or constant named, when exactly one name fits (see DisassembleOptions.symbolic). */
function symbolicText(i: Insn, text: string, layout: CtxLayout, payload: string | undefined, lastField: string | null): string {
  const k = i.k >>> 0;
  if (i.code === (BPF.LD | BPF.W | BPF.ABS) && k < layout.size) {
    const names = new Set(layout.fields.filter((f) => f.offset === k && f.size === 4 && (!payload || !f.member || f.member === payload)).map((f) => f.name));
    const wordFields = fieldsInWord(layout, k).filter((f) => !payload || !f.member || f.member === payload);
    if (names.size === 1 && wordFields.length === 1) return text.replace(`[${k}]`, `[${[...names][0]}]`);
    return text;
  }
  if (isCondJump(i.code) && bpfSrc(i.code) === BPF.K && lastField && FIELD_KINDS[lastField]) {
    const name = nameConstant(FIELD_KINDS[lastField], k);
    if (name) return text.replace(/#[^,]+/, `#${name}`);
  }
  return text;
}

function annotation(i: Insn, layout: CtxLayout, payload: string | undefined, lastField: string | null): string | null {
  const k = i.k >>> 0;
  if (i.code === (BPF.LD | BPF.W | BPF.ABS) && k < SKF_AD_OFF) return describeWord(layout, k, payload);
  if (i.code === LDX_W_ABS) return `A = ctx word [${k}]: ${describeWord(layout, k, payload)} (io_uring's rewrite of ld [${k}])`;
  if (i.code === (BPF.LD | BPF.W | BPF.LEN) || i.code === (BPF.LDX | BPF.W | BPF.LEN)) return `= ${layout.size}, the context size`;
  if (i.code === (BPF.RET | BPF.K)) return k === 0 ? 'deny' : 'allow';
  if (isCondJump(i.code) && bpfSrc(i.code) === BPF.K && lastField && FIELD_KINDS[lastField]) {
    const name = nameConstant(FIELD_KINDS[lastField], k);
    return name ? `${lastField} ${name}` : null;
  }
  return null;
}
