// The ways a cBPF program travels as data: the 8-byte little-endian struct sock_filter
// records the kernel copies in, `tcpdump -dd`'s C array, and bpf_asm's decimal
// `N,code jt jf k,...` line. Each reader returns located errors; each writer is exact.

import { err, ok, rfError, type Result } from '../errors.ts';
import type { Insn } from './insn.ts';
import { parseUnsigned } from './value.ts';

/** sizeof(struct sock_filter). */
export const SOCK_FILTER_SIZE = 8;

export function encodeBinary(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * SOCK_FILTER_SIZE);
  const dv = new DataView(out.buffer);
  insns.forEach((i, n) => {
    const o = n * SOCK_FILTER_SIZE;
    dv.setUint16(o, i.code, true);
    dv.setUint8(o + 2, i.jt);
    dv.setUint8(o + 3, i.jf);
    dv.setUint32(o + 4, i.k >>> 0, true);
  });
  return out;
}

export function decodeBinary(bytes: Uint8Array, file = '<input>'): Result<Insn[]> {
  if (bytes.length % SOCK_FILTER_SIZE !== 0) {
    const whole = Math.floor(bytes.length / SOCK_FILTER_SIZE);
    return err(rfError('truncated',
      `${file}: ${bytes.length} bytes is not a whole number of 8-byte instructions: ` +
      `instruction ${whole} starts at byte ${whole * SOCK_FILTER_SIZE} and has only ${bytes.length % SOCK_FILTER_SIZE} of its 8 bytes`));
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const insns: Insn[] = [];
  for (let o = 0; o < bytes.length; o += SOCK_FILTER_SIZE) {
    insns.push({ code: dv.getUint16(o, true), jt: dv.getUint8(o + 2), jf: dv.getUint8(o + 3), k: dv.getUint32(o + 4, true) });
  }
  return ok(insns);
}

const hex = (v: number, width: number): string => '0x' + v.toString(16).padStart(width, '0');

/** `tcpdump -dd` / `bpf_asm -c` style: one `{ 0x06, 0, 0, 0x00000001 },` per line. */
export function formatC(insns: readonly Insn[]): string {
  return insns.map((i) => `{ ${hex(i.code, 2)}, ${String(i.jt).padStart(2)}, ${String(i.jf).padStart(2)}, ${hex(i.k >>> 0, 8)} },`).join('\n') + '\n';
}

/** bpf_asm's default output: `N,code jt jf k,code jt jf k,...` in decimal. */
export function formatBpfAsm(insns: readonly Insn[]): string {
  return `${insns.length},` + insns.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0},`).join('') + '\n';
}

/** One instruction per line as `code:jt:jf:k`, the trace format's raw form. */
export function formatQuads(insns: readonly Insn[]): string {
  return insns.map(formatQuad).join('\n') + '\n';
}

export function formatQuad(i: Insn): string {
  return `${hex(i.code, 2)}:${i.jt}:${i.jf}:${i.k >>> 0}`;
}

const LIMITS: Array<[keyof Insn, number, string]> = [
  ['code', 0xffff, 'code is a u16'],
  ['jt', 0xff, 'jt is a u8'],
  ['jf', 0xff, 'jf is a u8'],
  ['k', 0xffffffff, 'k is a u32'],
];

interface Num { text: string; line: number; col: number }

function readField(n: Num, which: number, file: string): Result<number> {
  const [, max, what] = LIMITS[which];
  const v = parseUnsigned(n.text);
  if (v === undefined) {
    return err(rfError('syntax', `'${n.text}' is not a number`, { file, line: n.line, col: n.col, len: n.text.length }, 'a decimal, 0x hex, 0b binary or 0 octal number'));
  }
  if (v > BigInt(max)) {
    return err(rfError('range', `${n.text} does not fit: ${what}`, { file, line: n.line, col: n.col, len: n.text.length }, `0..${max}`));
  }
  return ok(Number(v));
}

/**
 * Where the last call left off: the readers locate every token in order, and a
 * scan from the start for each made a file of n tokens cost n^2 (an 80 kB line
 * of commas took minutes). Asked for an offset at or past the last one in the
 * same text, the scan goes on from there.
 */
let last = { text: '', offset: 0, line: 1, start: 0 };

function locate(text: string, offset: number): { line: number; col: number } {
  let line = 1, start = 0, from = 0;
  if (text === last.text && offset >= last.offset) ({ line, start, offset: from } = last);
  for (let i = from; i < offset; i++) if (text.charCodeAt(i) === 10) { line++; start = i + 1; }
  last = { text, offset, line, start };
  return { line, col: offset - start + 1 };
}

/**
 * Read a C array of `{ code, jt, jf, k }` initialisers, as tcpdump -dd and bpf_asm -c
 * print them: optionally inside a declaration (`struct sock_filter f[] = { ... };`),
 * comments allowed anywhere. Anything else is an error at its line and column.
 */
export function parseC(text: string, file = '<input>'): Result<Insn[]> {
  const src = text.replace(/\/\*[\s\S]*?(\*\/|$)/g, (m) => m.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, (m) => ' '.repeat(m.length));
  // Tokens: punctuation, or a run of anything else.
  const toks: Num[] = [];
  const re = /[{},;=[\]]|[^\s{},;=[\]]+/g;
  let line = 1, lineStart = 0, last = 0;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    for (let i = last; i < m.index; i++) if (src.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
    last = m.index;
    toks.push({ text: m[0], line, col: m.index - lineStart + 1 });
  }
  for (let i = last; i < src.length; i++) if (src.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  const end: Num = { text: '', line, col: src.length - lineStart + 1 };
  let p = 0;
  const at = (): Num => toks[p] ?? end;
  const fail = (message: string, expected: string): Result<never> => {
    const t = at();
    return err(rfError('syntax', t.text ? `${message}, found '${t.text}'` : `${message}, found the end of the file`, { file, line: t.line, col: t.col, len: Math.max(1, t.text.length) }, expected));
  };
  const take = (x: string): boolean => (at().text === x ? (p++, true) : false);
  // An optional declaration: words and [] up to '=', then the array's '{'.
  let wrapped = false;
  if (toks.length && toks[0].text !== '{') {
    while (p < toks.length && /^[A-Za-z_]\w*$|^[[\]]$|^\d+$/.test(at().text)) p++;
    if (!take('=')) return fail("expected a C array: '{ code, jt, jf, k },' lines or 'struct sock_filter NAME[] = {'", "'=' after the declaration");
    if (!take('{')) return fail("expected the array's '{'", "'{'");
    wrapped = true;
  } else if (toks.length > 1 && toks[1].text === '{') {
    p++;
    wrapped = true;
  }
  const insns: Insn[] = [];
  for (;;) {
    if (wrapped && at().text === '}') break;
    if (!wrapped && p >= toks.length) break;
    if (!take('{')) return fail('expected an instruction', "'{ code, jt, jf, k }'");
    const vals: number[] = [];
    for (let w = 0; w < 4; w++) {
      const t = at();
      if (/^[{},;=[\]]?$/.test(t.text)) return fail(`expected ${['code', 'jt', 'jf', 'k'][w]}`, 'a number');
      const r = readField(t, w, file);
      if (!r.ok) return r;
      vals.push(r.value);
      p++;
      if (w < 3 && !take(',')) return fail(`expected ',' after ${['code', 'jt', 'jf'][w]}`, "','");
    }
    take(',');
    if (!take('}')) return fail("expected '}' closing the instruction", "'}'");
    insns.push({ code: vals[0], jt: vals[1], jf: vals[2], k: vals[3] });
    if (!take(',')) {
      if (wrapped ? at().text !== '}' : p < toks.length) return fail("expected ',' between instructions", "','");
    }
  }
  if (insns.length === 0) return fail('no instructions', "at least one '{ code, jt, jf, k }'");
  if (wrapped) {
    take('}');
    take(';');
    if (p < toks.length) return fail('expected the end of the file after the array', 'nothing more');
  }
  return ok(insns);
}

/** Read bpf_asm's `N,code jt jf k,...` form (the count must match). */
export function parseBpfAsm(text: string, file = '<input>'): Result<Insn[]> {
  const re = /[^,\s]+|,/g;
  const tokens: Num[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const { line, col } = locate(text, m.index);
    tokens.push({ text: m[0], line, col });
  }
  // group into comma-separated records
  const records: Num[][] = [[]];
  for (const t of tokens) {
    if (t.text === ',') records.push([]);
    else records[records.length - 1].push(t);
  }
  if (records[records.length - 1].length === 0) records.pop();
  if (records.length === 0 || records[0].length !== 1) {
    const at = records[0]?.[0] ?? { line: 1, col: 1, text: '' };
    return err(rfError('syntax', 'expected the instruction count first', { file, line: at.line, col: at.col, len: Math.max(1, at.text.length) }, "'N,code jt jf k,...' as printed by bpf_asm"));
  }
  const count = parseUnsigned(records[0][0].text);
  if (count === undefined) {
    const at = records[0][0];
    return err(rfError('syntax', `'${at.text}' is not an instruction count`, { file, line: at.line, col: at.col, len: at.text.length }, 'a decimal number'));
  }
  if (count === 0n) {
    const at = records[0][0];
    return err(rfError('invalid', 'the count is 0: a program has at least one instruction', { file, line: at.line, col: at.col, len: at.text.length }, 'a count of 1 to 4096'));
  }
  const insns: Insn[] = [];
  for (const rec of records.slice(1)) {
    if (rec.length !== 4) {
      const at = rec[0] ?? records[0][0];
      return err(rfError('syntax', `an instruction has ${rec.length} numbers, not 4`, { file, line: at.line, col: at.col, len: Math.max(1, at.text.length) }, 'code jt jf k'));
    }
    const vals: number[] = [];
    for (let w = 0; w < 4; w++) {
      const r = readField(rec[w], w, file);
      if (!r.ok) return r;
      vals.push(r.value);
    }
    insns.push({ code: vals[0], jt: vals[1], jf: vals[2], k: vals[3] });
  }
  if (BigInt(insns.length) !== count) {
    const at = records[0][0];
    return err(rfError('invalid', `the count says ${count} instructions but ${insns.length} follow`, { file, line: at.line, col: at.col, len: at.text.length }, `${insns.length}, or ${count} 'code jt jf k,' records`));
  }
  return ok(insns);
}
