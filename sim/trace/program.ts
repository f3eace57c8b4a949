// Program bodies and inline quads. The one place where the trace parser hands cBPF
// text to the assembler (model/bpf); raw `code:jt:jf:k` quads on a `bpf` line are
// read here, since they are part of the trace line's own grammar.

import { rfError, type RfError, type SourceLoc } from '../../model/errors.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { CtxLayout } from '../../model/abi/ctx.ts';
import { ALL_SYMBOL_KINDS } from '../../model/abi/symbols.ts';
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
  /** The body's lines, comments already blanked, columns as in the file. */
  lines: string[];
  /** 1-based line number of lines[0] in the file. */
  line0: number;
}

/**
 * Assemble a `program ... end` body for a context layout. Every error is returned,
 * located in the trace file.
 */
export function assembleBody(file: string, body: ProgramBody, layout: CtxLayout): { ok: true; value: Insn[] } | { ok: false; errors: RfError[] } {
  void layout;
  const insns: Insn[] = [];
  const errors: RfError[] = [];
  body.lines.forEach((text, n) => {
    const t = text.trim();
    if (t === '') return;
    const col = text.indexOf(t) + 1;
    const loc = { file, line: body.line0 + n, col, len: t.length };
    if (!QUAD.test(t)) {
      errors.push(rfError('invalid', 'bpf_asm bodies need the assembler (model/bpf), which is not built yet', loc, 'code:jt:jf:k quads'));
      return;
    }
    const q = parseQuad(t, loc);
    if (q.ok) insns.push(q.value); else errors.push(q.error);
  });
  if (errors.length) return { ok: false, errors };
  if (insns.length === 0) {
    return { ok: false, errors: [rfError('syntax', 'empty program', { file, line: body.line0 - 1, col: 1 }, 'at least one instruction before `end`')] };
  }
  return { ok: true, value: insns };
}
