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

/** Which form `bytes` look like. */
export function detectFormat(bytes: Uint8Array, file: string): Exclude<InputFormat, 'auto'> {
  if (/\.(bin|raw)$/i.test(file)) return 'bin';
  for (const b of bytes) {
    if (b === 0 || (b < 32 && b !== 9 && b !== 10 && b !== 13)) return 'bin';
  }
  const text = new TextDecoder().decode(bytes);
  if (/^\s*\d+\s*,\s*\d+\s+\d+\s+\d+\s+\d+/.test(text)) return 'bpf_asm';
  if (/\{\s*(0x[0-9a-fA-F]+|\d+)\s*,/.test(text)) return 'c';
  return 'asm';
}

export function loadProgram(bytes: Uint8Array, file: string, format: InputFormat = 'auto', layout?: CtxLayout): Result<LoadedProgram> {
  const f = format === 'auto' ? detectFormat(bytes, file) : format;
  if (f === 'bin') {
    const r = decodeBinary(bytes, file);
    if (!r.ok) return r;
    if (r.value.length === 0) return err(rfError('truncated', `${file}: empty file, no instructions`));
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
