// Reading a program from a file's bytes in whichever form it arrives: assembler text
// (with quads), tcpdump's C array, bpf_asm's decimal line, or raw struct sock_filter
// records. `auto` guesses from the content.

import { err, ok, rfError, type Result } from '../errors.ts';
import type { CtxLayout } from '../abi/ctx.ts';
import type { Insn } from './insn.ts';
import { decodeBinary, parseBpfAsm, parseC } from './codec.ts';
import { assembleDetailed } from './assemble.ts';

export const INPUT_FORMATS = ['auto', 'asm', 'c', 'bpf_asm', 'bin'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface LoadedProgram {
  insns: Insn[];
  format: Exclude<InputFormat, 'auto'>;
  /** Assembler input only: the source text and each instruction's line. */
  source?: string;
  lines?: number[];
}

/**
 * Which form `bytes` are, from their content alone (docs/bpf.md "Input formats"):
 * 1. bin: the bytes hold a NUL and, cut into 8-byte records, every record's second
 *    byte (the high byte of `code`) is NUL, as in every classic instruction (codes
 *    are below 0x100). Text never holds a NUL; a stray one, or any other control
 *    byte, leaves the file text and its parser points at it. A length that is not a
 *    multiple of 8 with a NUL in it is a truncated binary file.
 * 2. bpf_asm: the first thing in the text is a decimal count and a comma (`4,`).
 * 3. c: after comments and blank space the text starts with `{`, or with a
 *    declaration naming `sock_filter` (`struct sock_filter code[] = {`).
 * 4. asm: anything else (mnemonics, labels, quads `code:jt:jf:k`).
 * The file's name plays no part: a name cannot make text binary or the reverse.
 */
export function detectFormat(bytes: Uint8Array, _file?: string): Exclude<InputFormat, 'auto'> {
  if (bytes.includes(0)) {
    if (bytes.length % 8 !== 0) return 'bin';
    let records = true;
    for (let o = 1; o < bytes.length; o += 8) if (bytes[o] !== 0) { records = false; break; }
    if (records) return 'bin';
  }
  const text = new TextDecoder().decode(bytes);
  if (/^\s*\d+\s*,/.test(text)) return 'bpf_asm';
  const code = stripCComments(text).trimStart();
  if (code.startsWith('{') || /^[A-Za-z_][\w\s]*\bsock_filter\b/.test(code)) return 'c';
  return 'asm';
}

/** C comments blanked (newlines kept, so offsets and lines still match the text). */
export function stripCComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?(\*\/|$)/g, (m) => m.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, (m) => ' '.repeat(m.length));
}

export function loadProgram(bytes: Uint8Array, file: string, format: InputFormat = 'auto', layout?: CtxLayout): Result<LoadedProgram> {
  const f = format === 'auto' ? detectFormat(bytes, file) : format;
  if (f === 'bin') {
    const r = decodeBinary(bytes, file);
    if (!r.ok) return r;
    if (r.value.length === 0) return err(rfError('truncated', 'empty file, no instructions', { file, line: 1, col: 1 }, 'at least one 8-byte struct sock_filter record'));
    return ok({ insns: r.value, format: f });
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (f === 'c') {
    const r = parseC(text, file);
    return r.ok ? ok({ insns: r.value, format: f }) : r;
  }
  if (f === 'bpf_asm') {
    const r = parseBpfAsm(text, file);
    return r.ok ? ok({ insns: r.value, format: f }) : r;
  }
  const r = assembleDetailed(text, { file, layout });
  return r.ok ? ok({ insns: r.value.insns, format: f, source: text, lines: r.value.lines }) : r;
}
