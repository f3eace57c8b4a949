// The assembler's vocabulary, shared by both scanners: character classes, mnemonics
// (with small integer ids to switch on), ancillary keywords, context fields and the
// trace format's symbolic constants (memoised).

import { lookupSymbol, ALL_SYMBOL_KINDS } from '../../abi/symbols.ts';
import type { CtxField, CtxLayout } from '../../abi/ctx.ts';
import { BPF, SKF_AD } from '../isa.ts';
import { HashIndex, NAME_CHAR, NameTable, hashOf } from './names.ts';

// Character classes, one table lookup per character.
export const C_ALPHA = 1, C_DIGIT = 2, C_DOT = 4, C_PUNCT = 8, C_BLANK = 16;
/** Indexed by any UTF-16 code unit, so a lookup needs no range check. */
export const CHAR = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) CHAR[c] = C_ALPHA;
  else if (c >= 48 && c <= 57) CHAR[c] = C_DIGIT;
  else if (c === 46) CHAR[c] = C_DOT;
  else if (':,#%[]()+*&|-'.includes(String.fromCharCode(c))) CHAR[c] = C_PUNCT;
  else if (c === 32 || c === 9 || c === 13) CHAR[c] = C_BLANK;
  if (((CHAR[c] & (C_ALPHA | C_DIGIT | C_DOT)) !== 0) !== (NAME_CHAR[c] === 1)) throw new Error('assembler: names.ts\'s NAME_CHAR is out of step with CHAR');
}

/** Which field of a jump a label fills in. */
export const JT = 0, JF = 1, JK = 2;
export type JumpField = typeof JT | typeof JF | typeof JK;

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

export const MNEMONICS = [
  'ld', 'ldi', 'ldh', 'ldb', 'ldx', 'ldxi', 'ldxb', 'st', 'stx', 'jmp', 'ja', ...Object.keys(COND),
  ...Object.keys(ALU), 'neg', 'ret', 'tax', 'txa',
];
// Mnemonic ids (indexes into MNEMONICS), so the dispatch switches on small integers.
export const M_LD = 0, M_LDI = 1, M_LDH = 2, M_LDB = 3, M_LDX = 4, M_LDXI = 5, M_LDXB = 6, M_ST = 7, M_STX = 8, M_JMP = 9, M_JA = 10;
export const M_COND = 11;
export const COND_BY_ID = Object.values(COND);
export const M_ALU = M_COND + COND_BY_ID.length;
export const ALU_BY_ID = Object.values(ALU);
export const M_NEG = M_ALU + ALU_BY_ID.length, M_RET = M_NEG + 1, M_TAX = M_NEG + 2, M_TXA = M_NEG + 3;
if (MNEMONICS[M_JA] !== 'ja' || MNEMONICS[M_COND] !== 'jeq' || MNEMONICS[M_ALU] !== 'add' || MNEMONICS[M_TXA] !== 'txa') {
  throw new Error('assembler: mnemonic ids out of step with MNEMONICS');
}

/** Mnemonics by caseless hash (ids index MNEMONICS), for the friendly scanner. */
export const MNEMONIC_INDEX = new HashIndex();
for (const m of MNEMONICS) MNEMONIC_INDEX.add(hashOf(m, true));

/**
 * Mnemonics by their letters packed into one integer (lower-cased, first letter in the
 * low byte; every mnemonic has 2 to 4 letters), for the fast scanner: an open-addressing
 * table of keys and ids. `c | 0x20` maps only letters onto letters, so a key match is
 * exactly a caseless match.
 */
export const MNEMONIC_KEYS = new Int32Array(128);
export const MNEMONIC_IDS = new Int8Array(128);
export const mnemonicSlot = (key: number): number => (Math.imul(key, 0x9e3779b1) >>> 25);
MNEMONICS.forEach((m, id) => {
  let key = 0;
  for (let j = m.length - 1; j >= 0; j--) key = (key << 8) | m.charCodeAt(j);
  let s = mnemonicSlot(key);
  while (MNEMONIC_KEYS[s] !== 0) s = (s + 1) & 127;
  MNEMONIC_KEYS[s] = key;
  MNEMONIC_IDS[s] = id;
});

/** The ancillary-load keywords (case-sensitive, as bpf_asm's lexer). */
export const ANCILLARY = new NameTable<number>();
for (const [w, off] of Object.entries(SKF_AD)) ANCILLARY.set(w, off);

/** Each context layout's fields by name, built on first use. */
const FIELDS = new WeakMap<CtxLayout, NameTable<CtxField>>();
export function fieldsOf(layout: CtxLayout): NameTable<CtxField> {
  let t = FIELDS.get(layout);
  if (t === undefined) {
    t = new NameTable<CtxField>();
    // first definition wins, as Array.find would
    for (const f of layout.fields) if (t.findStr(f.name, 0, f.name.length, hashOf(f.name)) < 0) t.set(f.name, f);
    FIELDS.set(layout, t);
  }
  return t;
}

/** lookupSymbol, memoised: programs repeat the same few names many times. */
const symbolCache = new NameTable<number | null>();
const MAX_CACHED = 10000;

/** The symbolic constant src[s, e) (hash h) names, if any. */
export function symbolStr(src: string, s: number, e: number, h: number): number | undefined {
  const hit = symbolCache.findStr(src, s, e, h);
  if (hit >= 0) return symbolCache.value(hit) ?? undefined;
  return lookupAndCache(src.slice(s, e));
}

/** The same for the fast scanner's view of the bytes; src is the same text (it is ASCII when there are bytes). */
export function symbolBytes(v: DataView, src: string, s: number, e: number, h: number): number | undefined {
  const hit = symbolCache.findBytes(v, s, e, h);
  if (hit >= 0) return symbolCache.value(hit) ?? undefined;
  return lookupAndCache(src.slice(s, e));
}

/** Where the name symbolHead() found ends (a typed array cell: a number stays unboxed). */
export const HEAD_END = new Int32Array(1);

/**
 * For the fast scanner: the symbolic constant the name at s names, when that name was
 * looked up before and has four characters or more, found by its first word without
 * reading to its end (NameTable.findHead); its end into HEAD_END. -1 when it is not found
 * that way or names no symbol (symbolBytes then decides, as for any other name).
 */
export function symbolHead(b: Uint8Array, v: DataView, s: number): number {
  const id = symbolCache.findHead(b, v, s);
  if (id < 0) return -1;
  const value = symbolCache.value(id);
  if (value === null || value < 0) return -1;
  HEAD_END[0] = s + symbolCache.length(id);
  return value;
}

function lookupAndCache(name: string): number | undefined {
  const v = lookupSymbol(name, ALL_SYMBOL_KINDS);
  if (symbolCache.size < MAX_CACHED) symbolCache.set(name, v ?? null);
  return v;
}
