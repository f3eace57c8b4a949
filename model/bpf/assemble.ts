// The assembler: the kernel's bpf_asm syntax (tools/bpf/bpf_exp.y), plus raw
// `code:jt:jf:k` quads on any line, the trace format's symbolic constants as
// immediates, and named context fields in loads (`ld [socket.family]`).
// Every error points at the offending token.
//
// Two scanners share the work (asm/): a fast one over the text's bytes for the common,
// well-formed lines, and the friendly parser for everything else, which words every
// error. Both write into typed arrays (asm/assembly.ts); jumps are resolved over those
// arrays and Insn objects are made once, at the end.

import { err, ok, rfError, type Result, type RfError, type SourceLoc } from '../errors.ts';
import { CTX_V7, type CtxLayout } from '../abi/ctx.ts';
import type { Insn } from './insn.ts';
import { Assembly, type Locate } from './asm/assembly.ts';
import { AsmError } from './asm/error.ts';
import { FastScanner } from './asm/fast.ts';
import { FriendlyParser } from './asm/friendly.ts';
import { Line } from './asm/line.ts';
import { fieldsOf } from './asm/tables.ts';

export interface AssembleOptions {
  /** File name for error locations (default `<input>`). */
  file?: string;
  /** 1-based line number of the text's first line inside `file` (default 1). */
  line0?: number;
  /** Columns to add to every error column, when the text was indented in its file (default 0). */
  col0?: number;
  /** The context layout whose field names `[name]` may use (default CTX_V7). */
  layout?: CtxLayout;
}

export interface Assembled {
  insns: Insn[];
  /** The source line (file numbering) each instruction came from. */
  lines: number[];
  /** Label name to instruction index. */
  labels: Map<string, number>;
}

/**
 * Assemble bpf_asm text (raw `code:jt:jf:k` quads allowed on any line). Errors are
 * located in `file` at `line0`-based lines.
 */
export function assemble(text: string, opts: AssembleOptions = {}): Result<Insn[]> {
  const asm = take();
  try {
    const failed = run(asm.reset(text), opts);
    return failed === null ? ok(asm.insns()) : err(failed);
  } finally {
    spare = asm;
  }
}

/** Assemble and also return the source line of each instruction and the labels. */
export function assembleDetailed(text: string, opts: AssembleOptions = {}): Result<Assembled> {
  const asm = take();
  try {
    const failed = run(asm.reset(text), opts);
    return failed === null ? ok({ insns: asm.insns(), lines: asm.lines(), labels: asm.labelMap() }) : err(failed);
  } finally {
    spare = asm;
  }
}

/**
 * One Assembly kept between calls, so its arrays are reused (a 4,096-line program would
 * otherwise allocate a quarter of a megabyte per call). Taken out while in use; nothing
 * it holds leaves assemble(), which copies the results out.
 */
let spare: Assembly | null = null;
function take(): Assembly {
  const asm = spare ?? new Assembly();
  spare = null;
  return asm;
}

/** Every line of asm.src into asm, then the jumps; the first error, or null. */
function run(asm: Assembly, opts: AssembleOptions): RfError | null {
  const text = asm.src;
  const file = opts.file ?? '<input>';
  const line0 = opts.line0 ?? 1;
  const col0 = opts.col0 ?? 0;
  const loc: Locate = (line, col, len): SourceLoc => ({ file, line, col: col + col0, len });
  const failed = readLines(asm, text, opts.layout ?? CTX_V7, line0, loc);
  if (failed !== null) return failed;
  if (asm.n === 0) {
    return rfError('syntax', 'the program has no instructions', { file, line: line0, col: 1 + col0 }, "at least one instruction, such as 'ret #1'");
  }
  return asm.resolve(loc);
}

/**
 * The ASCII bytes of text and a newline after them, in a buffer reused across calls, with
 * three bytes to spare after the newline (the fast scanner reads names a word at a time,
 * and the word holding a name's last character may reach past the newline); null when
 * text is not ASCII. `view` is a DataView of the same buffer.
 */
let bytes = new Uint8Array(4096);
let view = new DataView(bytes.buffer);
const encoder = new TextEncoder();
function asciiBytes(text: string): Uint8Array | null {
  const n = text.length;
  if (bytes.length < n + 4) {
    bytes = new Uint8Array(Math.max(n + 4, bytes.length * 2));
    view = new DataView(bytes.buffer);
  }
  // UTF-8 takes more than one byte for anything but ASCII, so n bytes hold all of text only when it is ASCII
  const r = encoder.encodeInto(text, bytes.subarray(0, n));
  if (r.read !== n || r.written !== n) return null;
  bytes[n] = 10;
  return bytes;
}

/**
 * Every line into asm: the fast scanner first, the friendly parser for the lines it
 * declines and for all of a text that is not ASCII. Returns the located error of the
 * first bad line, or null. (A function of its own: V8 compiles a long loop on stack
 * during its first call, and code after the loop in the same function would keep
 * deoptimising on later calls.)
 */
function readLines(asm: Assembly, text: string, layout: CtxLayout, line0: number, loc: Locate): RfError | null {
  const fields = fieldsOf(layout);
  const b = asciiBytes(text);
  const fast = b === null ? null : new FastScanner(asm, b, view, text, fields);
  // made at the first line the fast scanner declines: a Line allocates four typed arrays,
  // and most texts never need one
  let friendly: FriendlyParser | null = null;
  let l: Line | null = null;
  const len = text.length;
  let inBlock = false;
  let lineNo = line0;
  for (let start = 0; start <= len; lineNo++) {
    if (fast !== null && !inBlock) {
      // the fast scanner reads on until the end, or until a line it declines
      start = fast.scan(start, lineNo, len);
      if (start < 0) break;
      lineNo = fast.lineNo;
    }
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    if (friendly === null || l === null) {
      friendly = new FriendlyParser(asm, layout, fields);
      l = new Line();
    }
    const r = friendlyLine(friendly, l, text, start, end, inBlock, lineNo);
    if (r instanceof AsmError) return rfError(r.kind, r.message, r.tok ? loc(lineNo, r.tok.col, r.tok.len) : undefined, r.expected);
    inBlock = r;
    start = end + 1;
  }
  return null;
}

/** One line through the friendly lexer and parser: whether a block comment is still open, or the error. */
function friendlyLine(p: FriendlyParser, l: Line, text: string, start: number, end: number, inBlock: boolean, lineNo: number): boolean | AsmError {
  const r = l.lex(text, start, end, inBlock);
  if (r instanceof AsmError) return r;
  try {
    p.line(l, lineNo);
  } catch (e) {
    if (e instanceof AsmError) return e;
    throw e;
  }
  return r;
}
