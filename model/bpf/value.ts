// Values as people write them in filters and on the command line: numbers in the
// bases bpf_asm reads (decimal, 0x hex, 0b binary, leading-0 octal, negative) and the
// trace format's symbolic names, joined with `|` (`O_CREAT|O_TRUNC`).

import { lookupSymbol, ALL_SYMBOL_KINDS, type SymbolKind } from '../abi/symbols.ts';

export interface ValueError {
  message: string;
  /** 0-based offset of the bad part inside the text, and its length. */
  at: number;
  len: number;
  expected?: string;
}

export type ValueResult = { ok: true; value: bigint } | { ok: false; error: ValueError };

const NUMBER = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]+|0|[1-9][0-9]*)$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** One number without sign, as bpf_asm's lexer reads it (leading 0 means octal, as in `#0644`). */
export function parseUnsigned(text: string): bigint | undefined {
  if (!NUMBER.test(text)) return undefined;
  if (/^0[bB]/.test(text)) return BigInt(text);
  if (/^0[0-7]+$/.test(text)) return BigInt('0o' + text.slice(1));
  return BigInt(text);
}

/**
 * `term ('|' term)*`, a term being an optionally negated number or symbolic name.
 * Negative values are returned as negative bigints; callers wrap them to their width.
 */
export function parseValue(text: string, kinds: readonly SymbolKind[] = ALL_SYMBOL_KINDS): ValueResult {
  let value = 0n;
  let pos = 0;
  const parts = text.split('|');
  for (const raw of parts) {
    const lead = raw.length - raw.trimStart().length;
    const term = raw.trim();
    const at = pos + lead;
    pos += raw.length + 1;
    if (term === '') {
      return { ok: false, error: { message: `missing value${parts.length > 1 ? " around '|'" : ''}`, at, len: 1, expected: 'a number or a symbolic name' } };
    }
    const neg = term.startsWith('-');
    const body = neg ? term.slice(1) : term.startsWith('+') ? term.slice(1) : term;
    let v = parseUnsigned(body);
    if (v === undefined) {
      if (!NAME.test(body)) {
        return { ok: false, error: { message: `'${term}' is not a number or a name`, at, len: term.length, expected: 'a number (decimal, 0x hex, 0b binary, 0 octal) or a symbolic name' } };
      }
      const s = lookupSymbol(body, kinds);
      if (s === undefined) {
        return { ok: false, error: { message: `unknown name '${body}'`, at: at + (term.length - body.length), len: body.length, expected: 'a symbolic constant such as AF_INET, SOCK_STREAM, O_CREAT, RESOLVE_BENEATH, SOCKET or EACCES' } };
      }
      v = BigInt(s);
    }
    if (neg) v = -v;
    value = parts.length === 1 ? v : value | v;
  }
  return { ok: true, value };
}

/** A value that must fit a u32; negatives down to -2^31 wrap (bpf_asm's strtol behaviour). */
export function toU32(v: bigint): number | undefined {
  if (v < -(1n << 31n) || v > 0xffffffffn) return undefined;
  return Number(BigInt.asUintN(32, v));
}
