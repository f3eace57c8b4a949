// Numbers, symbolic names and flag sets as the trace format writes them:
// decimal, 0x hex, 0o octal (an extension), negatives, names from
// model/abi/symbols.ts, and `A|B|C` sets. Each parser returns a value or an
// error located at the exact column of the offending part.

import { rfError, type RfError, type SourceLoc } from '../../model/errors.ts';
import { lookupSymbol, type SymbolKind } from '../../model/abi/symbols.ts';
import { AT_FDCWD } from '../../model/abi/net.ts';

export type ValueResult<T> = { ok: true; value: T } | { ok: false; error: RfError };

/** An integer field's width: how a value is checked and wrapped. */
export interface IntRange {
  /** Smallest and largest accepted value as written. */
  min: bigint;
  max: bigint;
  /** Negative values are stored two's-complement in this many bits (raw u32/u64 fields). */
  wrapBits?: number;
  /** For messages: "a u32", "an fd". */
  what: string;
}

export const U8: IntRange = { min: 0n, max: 0xffn, what: 'a number from 0 to 255' };
export const U16: IntRange = { min: 0n, max: 0xffffn, what: 'a number from 0 to 65535' };
export const U32: IntRange = { min: 0n, max: 0xffffffffn, what: 'a u32 (0 to 4294967295)' };
export const S32: IntRange = { min: -0x80000000n, max: 0x7fffffffn, what: 'an s32' };
/** A raw u16 field that also takes C-style negatives (stored two's complement). */
export const RAW16: IntRange = { min: -0x8000n, max: 0xffffn, wrapBits: 16, what: 'a u16' };
export const RAW32: IntRange = { min: -0x80000000n, max: 0xffffffffn, wrapBits: 32, what: 'a u32' };
export const RAW64: IntRange = { min: -(1n << 63n), max: (1n << 64n) - 1n, wrapBits: 64, what: 'a u64' };

const NUMBER = /^(-?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0|[1-9][0-9]*)$/;
const NAME = /^-?[A-Za-z_][A-Za-z0-9_]*$/;

/** Human words for each kind of symbol, for "expected ..." texts. */
export const KIND_WORDS: Record<SymbolKind, string> = {
  opcode: 'an opcode name (NOP, SOCKET, ...)',
  register_op: 'a register op name (PROBE, ENABLE_RINGS, ...)',
  setup_flag: 'a setup flag (R_DISABLED, SUBMIT_ALL, ...)',
  sqe_flag: 'an SQE flag (IO_LINK, ASYNC, ...)',
  filter_flag: 'a filter flag (DENY_REST, SZ_STRICT)',
  errno: 'an errno name (EACCES, ...)',
  af: 'an address family (AF_INET, ...)',
  sock: 'a socket type (SOCK_STREAM, ...)',
  ipproto: 'a protocol (IPPROTO_TCP, ...)',
  open_flag: 'an open flag (O_RDONLY, O_CREAT, ...)',
  resolve: 'a resolve flag (RESOLVE_IN_ROOT, ...)',
};

export function expectedWords(kinds: readonly SymbolKind[], range: IntRange): string {
  const names = kinds.length ? ` or ${kinds.slice(0, 2).map((k) => KIND_WORDS[k]).join(' or ')}` : '';
  return `${range.what}${names}`;
}

/** A plain integer literal, or undefined when the text is not one. Errors for ambiguous octal-looking text. */
export function parseLiteral(text: string, loc: SourceLoc): ValueResult<bigint> | undefined {
  const m = NUMBER.exec(text);
  if (!m) {
    if (/^-?0[0-9]+$/.test(text)) {
      const digits = text.replace(/^-?0+/, '');
      return {
        ok: false,
        error: rfError('syntax', `\`${text}\` has a leading zero: decimal or octal is ambiguous`, loc,
          `a decimal number (${digits || 0}), or octal written 0o${digits}`),
      };
    }
    return undefined;
  }
  const body = m[2].toLowerCase().startsWith('0o') ? BigInt('0o' + m[2].slice(2)) : BigInt(m[2]);
  return { ok: true, value: m[1] ? -body : body };
}

/**
 * One value: a number or a symbolic name of one of `kinds`. `-NAME` negates (so
 * `-EACCES` is -13). `AT_FDCWD` is accepted where `fdcwd` is set.
 */
export function parseValue(text: string, loc: SourceLoc, kinds: readonly SymbolKind[], range: IntRange,
  opts: { fdcwd?: boolean } = {}): ValueResult<bigint> {
  const expected = expectedWords(kinds, range);
  if (text === '') return { ok: false, error: rfError('syntax', 'missing value', loc, expected) };
  let v: bigint;
  const lit = parseLiteral(text, loc);
  if (lit) {
    if (!lit.ok) return lit;
    v = lit.value;
  } else if (NAME.test(text)) {
    const neg = text.startsWith('-');
    const name = neg ? text.slice(1) : text;
    let n: number | undefined;
    if (opts.fdcwd && name === 'AT_FDCWD') n = AT_FDCWD;
    else n = lookupSymbol(name, kinds);
    if (n === undefined) {
      return { ok: false, error: rfError('name', `unknown name \`${name}\``, loc, expected) };
    }
    v = neg ? -BigInt(n) : BigInt(n);
  } else {
    return { ok: false, error: rfError('syntax', `\`${text}\` is not a number or a name`, loc, expected) };
  }
  if (v < range.min || v > range.max) {
    return { ok: false, error: rfError('range', `${text} is out of range`, loc, range.what) };
  }
  if (v < 0n && range.wrapBits) v = BigInt.asUintN(range.wrapBits, v);
  return { ok: true, value: v };
}

/** `A|B|0x10`: the OR of each part, each part a number or a name. */
export function parseFlagSet(text: string, loc: SourceLoc, kinds: readonly SymbolKind[], range: IntRange): ValueResult<bigint> {
  if (text === '') return { ok: false, error: rfError('syntax', 'missing value', loc, expectedWords(kinds, range)) };
  let acc = 0n;
  let col = loc.col;
  for (const part of text.split('|')) {
    const partLoc = { ...loc, col, len: Math.max(1, part.length) };
    if (part === '') return { ok: false, error: rfError('syntax', 'empty flag between `|`', partLoc, expectedWords(kinds, range)) };
    const r = parseValue(part, partLoc, kinds, { ...range, min: 0n });
    if (!r.ok) return r;
    acc |= r.value;
    col += part.length + 1;
  }
  if (acc > range.max) return { ok: false, error: rfError('range', `${text} is out of range`, { ...loc, len: text.length }, range.what) };
  return { ok: true, value: acc };
}

export const toNum = (v: bigint): number => Number(v);
