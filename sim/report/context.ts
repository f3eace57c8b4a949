// Showing a place in a trace file the way compilers do: a few lines of context
// with line numbers, the line in question marked, and a caret under the part
// that matters.

import type { SourceLoc } from '../../model/errors.ts';

/** Lines `loc.line - before .. loc.line` with a gutter, `>` on the line, and a caret under loc.col..len. */
export function sourceContext(source: string, loc: SourceLoc, before = 2): string {
  const lines = source.split('\n');
  const out: string[] = [];
  const width = String(loc.line).length;
  for (let n = Math.max(1, loc.line - before); n <= loc.line; n++) {
    const text = (lines[n - 1] ?? '').replace(/\r$/, '');
    const mark = n === loc.line ? '>' : ' ';
    out.push(`${mark} ${String(n).padStart(width)} | ${text}`);
  }
  const text = (lines[loc.line - 1] ?? '').replace(/\r$/, '');
  const pad = text.slice(0, loc.col - 1).replace(/[^\t]/g, ' ');
  out.push(`  ${' '.repeat(width)} | ${pad}${'^'.repeat(Math.max(1, loc.len ?? 1))}`);
  return out.join('\n');
}

/** `file:line:col` */
export function where(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}:${loc.col}`;
}

/** Indent every line of a block. */
export function indent(text: string, by = '    '): string {
  return text.split('\n').map((l) => (l === '' ? l : by + l)).join('\n');
}
