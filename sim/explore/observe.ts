// What one command shows: the fields of its trace record (trace-format.md
// "Records") in the form both the reference model and the simulated kernel are
// compared in. fd-making results are already normalised to "fd".

import type { CommandBody, TraceRecord } from '../trace/ast.ts';

export type Obs = Omit<TraceRecord, 'trace' | 'i' | 'task' | 'cqes'> & {
  /** As in the record, with fd-making results normalised to "fd". */
  cqes?: [string, number | 'fd', number][];
  /** The reference does not state this command's outcome; comparisons skip it. */
  unstated?: string;
};

/** One step of a call sequence: a task makes one trace command. */
export interface Step {
  task: string;
  body: CommandBody;
}

/** Stable text of an observation, for equality, hashing and reports. */
export function obsKey(o: Obs): string {
  let s = o.c;
  if (o.ret !== undefined) s += ` ret=${o.ret}`;
  if (o.pdu !== undefined) s += ` pdu=${o.pdu}`;
  if (o.queued !== undefined) s += ` queued=${o.queued}`;
  if (o.left !== undefined) s += ` left=${o.left}`;
  if (o.cqes !== undefined) s += ` cqes=${o.cqes.map(([u, r, f]) => `${u}:${r}:${f}`).join(',') || 'none'}`;
  if (o.unstated !== undefined) s += ` unstated(${o.unstated})`;
  return s;
}

/** The fields where two observations of the same command differ (empty when equal or unstated). */
export function obsDiff(a: Obs, b: Obs): string[] {
  if (a.unstated !== undefined || b.unstated !== undefined) return [];
  const out: string[] = [];
  for (const f of ['ret', 'pdu', 'queued', 'left'] as const) if (a[f] !== b[f]) out.push(f);
  if (JSON.stringify(a.cqes) !== JSON.stringify(b.cqes)) out.push('cqes');
  return out;
}
