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

/**
 * `file:line:col: error: message`, then the source line and a caret under the
 * offending token when the source text is given.
 */
export function formatError(e: RfError, source?: string): string {
  const where = e.loc ? `${e.loc.file}:${e.loc.line}:${e.loc.col}: ` : '';
  let out = `${where}error: ${e.message}`;
  if (e.expected) out += ` (expected ${e.expected})`;
  if (e.loc && source !== undefined) {
    const text = source.split('\n')[e.loc.line - 1];
    if (text !== undefined) {
      const gutter = String(e.loc.line).padStart(4) + ' | ';
      const pad = ' '.repeat(gutter.length) + text.slice(0, e.loc.col - 1).replace(/[^\t]/g, ' ');
      out += `\n${gutter}${text}\n${pad}${'^'.repeat(Math.max(1, e.loc.len ?? 1))}`;
    }
  }
  return out;
}
