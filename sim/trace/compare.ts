// Comparing two record streams (simulator against kernel, or profile against
// profile), per trace-format.md: a non-negative `res` of an fd-producing request
// compares as "fd"; everything else compares exactly, CQE order included.

import type { TraceRecord } from './ast.ts';
import { FdUserData } from './fdops.ts';
import { canonicalRecord, formatRecord } from './records.ts';

/** A record as compared: fd results replaced by "fd". */
export type NormalRecord = Omit<TraceRecord, 'cqes'> & { cqes?: [string, number | 'fd', number][] };

/** Normalise records in stream order; user_data → opcode is learnt per trace from its `sqe` records. */
export function normaliseRecords(rs: readonly TraceRecord[]): NormalRecord[] {
  const perTrace = new Map<string, FdUserData>();
  return rs.map((r0) => {
    const r = canonicalRecord(r0) as NormalRecord;
    let fds = perTrace.get(r.trace);
    if (!fds) perTrace.set(r.trace, (fds = new FdUserData()));
    if (r.c === 'sqe' && r.ud !== undefined && r.op !== undefined) fds.note(r.ud, r.op);
    if (r.cqes) {
      const f = fds;
      r.cqes = r.cqes.map(([ud, res, flags]) => [ud, typeof res === 'number' && res >= 0 && f.makesFd(ud) ? 'fd' : res, flags]);
    }
    return r;
  });
}

export interface RecordDiff {
  trace: string;
  i: number;
  /** Absent when that side has no record for this command. */
  a?: NormalRecord;
  b?: NormalRecord;
  /** Names of the fields that differ (`missing` when one side lacks the record). */
  fields: string[];
}

const FIELDS = ['task', 'c', 'ret', 'pdu', 'queued', 'op', 'ud', 'left', 'cqes'] as const;

/** The fields in which two normalised records differ. */
export function differingFields(a: NormalRecord, b: NormalRecord): string[] {
  return FIELDS.filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]));
}

/**
 * Every command whose records differ, in order of the first stream (then any
 * traces or commands only the second has). Records are matched by (trace, i).
 */
export function diffRecords(a: readonly TraceRecord[], b: readonly TraceRecord[]): RecordDiff[] {
  const na = normaliseRecords(a);
  const nb = normaliseRecords(b);
  const keyOf = (r: NormalRecord) => `${r.trace}\u0000${r.i}`;
  const bByKey = new Map(nb.map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  const out: RecordDiff[] = [];
  for (const ra of na) {
    const k = keyOf(ra);
    seen.add(k);
    const rb = bByKey.get(k);
    if (!rb) { out.push({ trace: ra.trace, i: ra.i, a: ra, fields: ['missing'] }); continue; }
    const fields = differingFields(ra, rb);
    if (fields.length) out.push({ trace: ra.trace, i: ra.i, a: ra, b: rb, fields });
  }
  for (const rb of nb) if (!seen.has(keyOf(rb))) out.push({ trace: rb.trace, i: rb.i, b: rb, fields: ['missing'] });
  return out;
}

/** True when the two streams compare equal. */
export function sameRecords(a: readonly TraceRecord[], b: readonly TraceRecord[]): boolean {
  return diffRecords(a, b).length === 0;
}

/** A normalised record as one JSON line (for showing a difference). */
export function formatNormal(r: NormalRecord): string {
  return formatRecord(r as unknown as TraceRecord);
}
