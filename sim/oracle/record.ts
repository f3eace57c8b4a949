// Recorded kernel outputs: for every bundled scenario file and every profile with a
// real kernel, the kernel's records, stored next to the scenarios as
// scenarios/recorded/<profile>/<file>.jsonl. `npm test` replays the simulator against
// them without qemu; `ringfence oracle --record` rewrites them and says what changed.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { TraceRecord } from '../trace/ast.ts';
import { diffRecords, formatNormal } from '../trace/compare.ts';
import { formatRecords, parseRecords } from '../trace/records.ts';

/** Where the recording of `traceFile` for `profile` lives. */
export function recordingPath(scenariosDir: string, traceFile: string, profile: string): string {
  const rel = relative(scenariosDir, traceFile).replace(/\.trace$/, '.jsonl');
  return join(scenariosDir, 'recorded', profile, rel.startsWith('..') ? basename(rel) : rel);
}

export interface RecordingChange {
  path: string;
  kind: 'new' | 'changed' | 'unchanged';
  /** For people: one line per record that changed. */
  details: string[];
}

/** Write the records of one file/profile and describe the change against the old recording. */
export function writeRecording(path: string, records: TraceRecord[]): RecordingChange {
  const text = formatRecords(records);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return { path, kind: 'new', details: [`${records.length} records`] };
  }
  const oldText = readFileSync(path, 'utf8');
  if (oldText === text) return { path, kind: 'unchanged', details: [] };
  const old = parseRecords(path, oldText);
  const details: string[] = [];
  if (!old.ok) details.push(`the old recording was unreadable: ${old.error.message}`);
  else {
    for (const d of diffRecords(old.value, records)) {
      details.push(`${d.trace} #${d.i}: ${d.a ? formatNormal(d.a) : '(none)'}  ->  ${d.b ? formatNormal(d.b) : '(none)'}`);
    }
    // Only fd numbers moved: keep the old file, so recordings do not churn.
    if (!details.length) return { path, kind: 'unchanged', details: [] };
  }
  writeFileSync(path, text);
  return { path, kind: 'changed', details };
}
