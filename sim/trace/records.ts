// Result records (trace-format.md "Records"): one JSON object per command, keys in
// a fixed order (trace, i, task, c, then the command's fields), user_data as a
// decimal string. This text is what is compared with the real kernel's output.

import { rfError, type Result } from '../../model/errors.ts';
import type { TraceRecord } from './ast.ts';

/** The command fields in the order the format prints them. */
export const RECORD_FIELDS = ['ret', 'pdu', 'queued', 'op', 'ud', 'left', 'cqes'] as const;

/** A record with its keys in canonical order (whatever order they were set in). */
export function canonicalRecord(r: TraceRecord): TraceRecord {
  const out: TraceRecord = { trace: r.trace, i: r.i, task: r.task, c: r.c };
  for (const k of RECORD_FIELDS) {
    if (r[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = r[k];
  }
  return out;
}

/** One JSONL line (no newline). */
export function formatRecord(r: TraceRecord): string {
  return JSON.stringify(canonicalRecord(r));
}

export function formatRecords(rs: readonly TraceRecord[]): string {
  return rs.map((r) => formatRecord(r) + '\n').join('');
}

const COMMANDS = new Set(['ring', 'close', 'restrict', 'enable', 'register', 'bpf', 'sqe', 'submit', 'cqes', 'nnp', 'setuid', 'fork', 'exit']);

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/**
 * Read JSONL records (ours or an oracle's). Lines that are not trace records
 * (blank lines, an oracle's `hello`/`summary`/`trace_end` lines, lines without `trace`)
 * are skipped; a malformed record is an error located at its line.
 */
export function parseRecords(file: string, text: string): Result<TraceRecord[]> {
  const out: TraceRecord[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n].trim();
    if (line.startsWith('@@ ')) line = line.slice(3); // the oracle's channel prefix
    if (line === '' || !line.startsWith('{')) continue;
    const loc = { file, line: n + 1, col: 1 };
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      return { ok: false, error: rfError('syntax', `not JSON: ${(e as Error).message}`, loc, 'one JSON record per line') };
    }
    if (typeof o.trace !== 'string' || !COMMANDS.has(String(o.c))) continue;
    const bad = (what: string): Result<never> => ({ ok: false, error: rfError('syntax', `record field ${what}`, loc, 'a record as trace-format.md defines it') });
    if (!isInt(o.i)) return bad('`i` is not an integer');
    const r: TraceRecord = { trace: o.trace, i: o.i, task: typeof o.task === 'string' ? o.task : 'init', c: o.c as TraceRecord['c'] };
    for (const k of ['ret', 'pdu', 'queued', 'left'] as const) {
      if (o[k] === undefined) continue;
      if (!isInt(o[k])) return bad(`\`${k}\` is not an integer`);
      r[k] = o[k] as number;
    }
    if (o.op !== undefined) r.op = String(o.op);
    if (o.ud !== undefined) r.ud = String(o.ud);
    if (o.cqes !== undefined) {
      if (!Array.isArray(o.cqes)) return bad('`cqes` is not a list');
      const cqes: [string, number, number][] = [];
      for (const q of o.cqes as unknown[]) {
        if (!Array.isArray(q) || q.length < 2 || !isInt(q[1])) return bad('`cqes` holds something other than [ud, res, flags]');
        cqes.push([String(q[0]), q[1] as number, isInt(q[2]) ? (q[2] as number) : 0]);
      }
      r.cqes = cqes;
    }
    out.push(r);
  }
  return { ok: true, value: out };
}

