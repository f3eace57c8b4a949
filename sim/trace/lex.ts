// The trace format's lexical layer (trace-format.md "Lexical rules"): one line at a
// time, blanks separate tokens, `#` starts a comment, `=>` starts an expectation,
// double-quoted strings may hold blanks. Columns are 1-based and point into the
// original line so every later error can carry an exact caret.

import { rfError, type RfError } from '../../model/errors.ts';

export interface Token {
  /** The token's text with quotes removed and escapes resolved. */
  text: string;
  /** 1-based column of the token's first character in the line. */
  col: number;
  /** Length of the token as written (quotes and escapes included). */
  len: number;
  /** Index in `text` of the `=` that makes this a `key=value` option, or -1. */
  eq: number;
  /** Column of the value's first character when `eq >= 0`. */
  valueCol: number;
  /** Part of the token was quoted (a quoted value is never a symbol). */
  quoted: boolean;
}

export interface LexedLine {
  tokens: Token[];
  /** The tokens after `=>`, or null when the line has no expectation. */
  expect: Token[] | null;
  /** Column of `=>`, when present. */
  arrowCol: number;
  /** The line without its comment and expectation, trimmed (for reports). */
  text: string;
}

/** Space, tab, CR, FF, VT: the blanks that separate tokens (char codes, for speed). */
const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v';

function unescape(ch: string): string | undefined {
  switch (ch) {
    case 'n': return '\n';
    case 't': return '\t';
    case '0': return '\0';
    case '\\': return '\\';
    case '"': return '"';
    default: return undefined;
  }
}

/** Split one line of a trace into tokens; errors are located in `file` at `line`. */
export function lexLine(file: string, line: number, src: string): { ok: true; value: LexedLine } | { ok: false; error: RfError } {
  const tokens: Token[] = [];
  let expect: Token[] | null = null;
  let arrowCol = 0;
  let end = src.length; // where the command text ends (comment or `=>`)
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (isBlank(ch)) { i++; continue; }
    if (ch === '#') { if (expect === null) end = Math.min(end, i); break; }
    if (ch === '=' && src[i + 1] === '>') {
      if (expect !== null) return { ok: false, error: rfError('syntax', 'a second `=>` on one line', { file, line, col: i + 1, len: 2 }, 'one expectation per command') };
      end = i;
      arrowCol = i + 1;
      expect = [];
      i += 2;
      continue;
    }
    const start = i;
    let text = '';
    let eq = -1;
    let valueCol = 0;
    let quoted = false;
    while (i < src.length && !isBlank(src[i])) {
      const c = src[i];
      if (c === '"') {
        quoted = true;
        const open = i;
        i++;
        let closed = false;
        while (i < src.length) {
          const q = src[i];
          if (q === '"') { closed = true; i++; break; }
          if (q === '\\') {
            const e = unescape(src[i + 1] ?? '');
            if (e === undefined) {
              return { ok: false, error: rfError('syntax', `unknown escape \`\\${src[i + 1] ?? ''}\` in a quoted string`, { file, line, col: i + 1, len: 2 }, '\\\\, \\", \\n, \\t or \\0') };
            }
            text += e;
            i += 2;
            continue;
          }
          text += q;
          i++;
        }
        if (!closed) return { ok: false, error: rfError('syntax', 'unterminated quoted string', { file, line, col: open + 1, len: src.length - open }, 'a closing `"`') };
        continue;
      }
      if (c === '#' && !quoted) break; // a comment glued to a token
      if (c === '=' && src[i + 1] === '>') break; // `x=>` or `k=v=>`: the arrow starts here
      if (c === '=' && eq < 0 && !quoted) {
        eq = text.length;
        valueCol = i + 2;
      }
      text += c;
      i++;
    }
    const tok: Token = { text, col: start + 1, len: i - start, eq, valueCol, quoted };
    if (expect !== null) expect.push(tok); else tokens.push(tok);
  }
  return { ok: true, value: { tokens, expect, arrowCol, text: src.slice(0, end).trim() } };
}

/**
 * A program body line with its comment blanked out (columns are kept). In bpf_asm
 * `#` also marks an immediate (`ret #1`), so here `#` starts a comment only at the
 * start of the line or when a blank follows it.
 */
/** What String.prototype.trim removes (the same set as \s). */
const WHITE = /\s/;

export function stripProgramComment(src: string): string {
  // Linear in the line: trimEnd, not /\s+$/ (which V8 retries from every blank, so a
  // long run of blanks inside a line cost its square), and the "only blanks so far"
  // test carried along rather than a slice and trim at every '#'.
  let first = true;
  for (let i = 0; i < src.length; i++) {
    if (src[i] !== '#') {
      if (first && !WHITE.test(src[i])) first = false;
      continue;
    }
    const next = src[i + 1];
    if (first || next === undefined || isBlank(next)) return src.slice(0, i).trimEnd();
    first = false;
  }
  return src.trimEnd();
}
