// Shared helpers for the trace tests: parse a snippet, list its errors compactly.

import { parseTraceFile } from '../../sim/trace/parse.ts';
import type { Trace, TraceCommand } from '../../sim/trace/ast.ts';

export const F = 't.trace';

export function parseOk(src: string): Trace[] {
  const r = parseTraceFile(F, src);
  if (!r.ok) throw new Error('unexpected errors:\n' + r.error.map((e) => `${e.loc?.line}:${e.loc?.col} ${e.message}`).join('\n'));
  return r.value.traces;
}

/** The commands of a one-trace file made of `body` lines. */
export function commands(body: string, header = 'trace t'): TraceCommand[] {
  return parseOk(`${header}\n${body}\nend\n`)[0].commands;
}

export interface ErrBrief { line: number; col: number; len?: number; message: string; expected?: string }

export function errorsOf(src: string): ErrBrief[] {
  const r = parseTraceFile(F, src);
  if (r.ok) return [];
  return r.error.map((e) => ({ line: e.loc!.line, col: e.loc!.col, len: e.loc!.len, message: e.message, expected: e.expected }));
}

/** Errors of a one-trace file whose body starts on line 2. */
export function bodyErrors(body: string, header = 'trace t'): ErrBrief[] {
  return errorsOf(`${header}\n${body}\nend\n`);
}
