// Errors are values: a kind, a message, and where in the input it happened.
// Parsers and validators return them; only the CLI turns them into text and exit codes.

export type ErrorKind =
  | 'syntax'      // malformed text: a token that does not fit the grammar
  | 'name'        // an unknown symbol, task, ring or program
  | 'range'       // a number out of range for its field
  | 'invalid'     // well-formed but rejected (e.g. a program the kernel's checker refuses)
  | 'io'          // a file that cannot be read or written
  | 'usage'       // a command line that does not make sense
  | 'truncated'   // binary input that ends mid-record
  | 'internal';   // a bug in ringfence, never a user mistake

export interface SourceLoc {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based; the first character of the offending token. */
  col: number;
  /** Length of the offending token, for the caret line (default 1). */
  len?: number;
}

export interface RfError {
  kind: ErrorKind;
  message: string;
  loc?: SourceLoc;
  /** What the input should have had there, for people ("a register op name or number"). */
  expected?: string;
}

export type Result<T, E = RfError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = (error: RfError): Result<never> => ({ ok: false, error });

export function rfError(kind: ErrorKind, message: string, loc?: SourceLoc, expected?: string): RfError {
  const e: RfError = { kind, message };
  if (loc) e.loc = loc;
  if (expected) e.expected = expected;
  return e;
}

/** The most characters of a source line an error shows. */
export const EXCERPT_WIDTH = 120;

/** Input quoted in a message (`like this`) is cut to this many characters when printed. */
export const QUOTE_WIDTH = 40;

/** Cut each long `quoted` span of a message: the excerpt below shows the input itself. */
function clipQuoted(text: string): string {
  return text.replace(/`([^`]*)`/g, (whole, inner: string) => (inner.length > QUOTE_WIDTH ? `\`${inner.slice(0, QUOTE_WIDTH)}…\`` : whole));
}

/** Line `n` (1-based) of `source`, found without splitting the whole text. */
function sourceLine(source: string, n: number): string | undefined {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = source.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const end = source.indexOf('\n', start);
  return source.slice(start, end < 0 ? source.length : end);
}

/**
 * `file:line:col: error: message`, then the source line and a caret under the
 * offending token when the source text is given.
 */
export function formatError(e: RfError, source?: string): string {
  const where = e.loc ? `${e.loc.file}:${e.loc.line}:${e.loc.col}: ` : '';
  let out = `${where}error: ${clipQuoted(e.message)}`;
  if (e.expected) out += ` (expected ${clipQuoted(e.expected)})`;
  if (e.loc && source !== undefined) {
    const text = sourceLine(source, e.loc.line);
    if (text !== undefined) {
      // A long line is shown as a window around the column, so one error never
      // prints more than about EXCERPT_WIDTH characters of its line.
      const col = Math.max(1, e.loc.col);
      const from = text.length > EXCERPT_WIDTH ? Math.max(0, Math.min(col - 1 - (EXCERPT_WIDTH >> 1), text.length - EXCERPT_WIDTH)) : 0;
      const to = Math.min(text.length, from + EXCERPT_WIDTH);
      const head = from > 0 ? '…' : '';
      const shown = head + text.slice(from, to) + (to < text.length ? '…' : '');
      const gutter = String(e.loc.line).padStart(4) + ' | ';
      const pad = ' '.repeat(gutter.length + head.length) + text.slice(from, Math.max(from, col - 1)).replace(/[^\t]/g, ' ');
      const carets = Math.max(1, Math.min(e.loc.len ?? 1, to - (col - 1)));
      out += `\n${gutter}${shown}\n${pad}${'^'.repeat(carets)}`;
    }
  }
  return out;
}
