// Tokens of one policy line, each with its column, for located errors. Comments
// start at `#` and run to the end of the line, as in traces.

import { rfError, type RfError, type SourceLoc } from '../errors.ts';

export type TokenKind = 'word' | 'num' | 'ip' | 'punct';

export interface Token {
  t: TokenKind;
  text: string;
  /** 1-based column. */
  col: number;
}

const PUNCT = ['..', '==', '!=', '<=', '>=', '<', '>', '=', '{', '}', '(', ')', ',', '|'];
const WORD = /^[A-Za-z_][A-Za-z0-9_]*/;
const IP = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(?![0-9.])/;
const NUM = /^(0[xX][0-9a-fA-F]+|0[oO][0-7]+|[0-9]+)(?![A-Za-z_])/;

export function lexLine(file: string, line: number, src: string): { ok: true; tokens: Token[] } | { ok: false; error: RfError } {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === '#') break;
    if (ch === ' ' || ch === '\t' || ch === '\r') { i++; continue; }
    const rest = src.slice(i);
    let m: RegExpExecArray | null;
    if ((m = IP.exec(rest))) { tokens.push({ t: 'ip', text: m[0], col: i + 1 }); i += m[0].length; continue; }
    if ((m = NUM.exec(rest))) { tokens.push({ t: 'num', text: m[0], col: i + 1 }); i += m[0].length; continue; }
    if ((m = WORD.exec(rest))) { tokens.push({ t: 'word', text: m[0], col: i + 1 }); i += m[0].length; continue; }
    const p = PUNCT.find((x) => rest.startsWith(x));
    if (p) { tokens.push({ t: 'punct', text: p, col: i + 1 }); i += p.length; continue; }
    const loc: SourceLoc = { file, line, col: i + 1 };
    return { ok: false, error: rfError('syntax', `unexpected character \`${ch}\``, loc, 'a name, a number, or one of { } ( ) , | .. == != < <= > >=') };
  }
  return { ok: true, tokens };
}
