// Program bodies and inline quads. The one place where the trace parser hands cBPF
// text to the assembler (model/bpf); raw `code:jt:jf:k` quads on a `bpf` line are
// read here, since they are part of the trace line's own grammar.

import { rfError, type RfError, type SourceLoc } from '../../model/errors.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { CtxLayout } from '../../model/abi/ctx.ts';
import { ALL_SYMBOL_KINDS } from '../../model/abi/symbols.ts';
import { assemble } from '../../model/bpf/index.ts';
import { parseValue, RAW32, U16, U8, type ValueResult } from './values.ts';

/** Built-in programs (trace-format.md): `allow` is `ret #1`, `deny` is `ret #0`. */
export const BUILTIN_PROGRAMS: ReadonlyMap<string, Insn[]> = new Map([
  ['allow', [{ code: 0x06, jt: 0, jf: 0, k: 1 }]],
  ['deny', [{ code: 0x06, jt: 0, jf: 0, k: 0 }]],
]);

export const QUAD = /^[^:\s]+:[^:\s]+:[^:\s]+:[^:\s]+$/;

/** One `code:jt:jf:k` quad at `loc`; k may be a symbolic name or negative (stored as u32). */
export function parseQuad(text: string, loc: SourceLoc): ValueResult<Insn> {
  const parts = text.split(':');
  if (parts.length !== 4) {
    return { ok: false, error: rfError('syntax', `\`${text}\` is not an instruction quad`, loc, 'code:jt:jf:k') };
  }
  const ranges = [U16, U8, U8, RAW32];
  const vals: number[] = [];
  let col = loc.col;
  for (let i = 0; i < 4; i++) {
    const r = parseValue(parts[i], { ...loc, col, len: Math.max(1, parts[i].length) }, i === 3 ? ALL_SYMBOL_KINDS : [], ranges[i]);
    if (!r.ok) return r;
    vals.push(Number(r.value));
    col += parts[i].length + 1;
  }
  return { ok: true, value: { code: vals[0], jt: vals[1], jf: vals[2], k: vals[3] >>> 0 } };
}

export interface ProgramBody {
  /** The body's lines as written (the assembler strips comments, keeping columns). */
  lines: string[];
  /** 1-based line number of lines[0] in the file. */
  line0: number;
}

/**
 * Assemble a `program ... end` body for a context layout (bpf_asm, quads, or both),
 * with errors located in the trace file.
 */
export function assembleBody(file: string, body: ProgramBody, layout: CtxLayout): { ok: true; value: Insn[] } | { ok: false; errors: RfError[] } {
  if (body.lines.every((l) => l.trim() === '' || /^\s*#(\s|$)/.test(l))) {
    return { ok: false, errors: [rfError('syntax', 'empty program', { file, line: body.line0 - 1, col: 1 }, 'at least one instruction before `end`')] };
  }
  const r = assemble(body.lines.join('\n'), { file, line0: body.line0, layout });
  return r.ok ? r : { ok: false, errors: [r.error] };
}
