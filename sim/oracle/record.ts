// Recorded kernel outputs: for every bundled scenario file and every profile with a
// real kernel, the kernel's records, stored next to the scenarios as
// scenarios/recorded/<profile>/<file>.jsonl. `npm test` replays the simulator against
// them without qemu; `ringfence oracle --record` rewrites them and says what changed.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { err, ok, rfError, type Result } from '../../model/errors.ts';
import type { TraceRecord } from '../trace/ast.ts';
import { diffRecords, formatNormal } from '../trace/compare.ts';
import { formatRecords, parseRecords } from '../trace/records.ts';

/**
 * Where the recording of `traceFile` for `profile` goes: a file under scenarios/ is
 * keyed by its path relative to it (scenarios/recorded/<profile>/<rel>.jsonl), so two
 * files never share a recording; any other file only to an explicit `outDir`
 * (<outDir>/<profile>/<name>.jsonl), never among the bundled recordings, which a file
 * of the same name elsewhere would overwrite.
 */
export function recordingPath(scenariosDir: string, traceFile: string, profile: string, outDir?: string): Result<string> {
  const rel = relative(resolve(scenariosDir), resolve(traceFile));
  const inside = rel !== '' && !isAbsolute(rel) && rel.split(sep)[0] !== '..' && rel.split(sep)[0] !== 'recorded';
  const name = (inside ? rel : basename(traceFile)).replace(/\.trace$/, '') + '.jsonl';
  if (outDir !== undefined) return ok(join(outDir, profile, name));
  if (inside) return ok(join(scenariosDir, 'recorded', profile, name));
  return err(rfError('usage', `${traceFile} is not under ${scenariosDir}: its recording would land among the bundled ones`, undefined, '--out DIR to record it into DIR/<profile>/, or a trace file under scenarios/'));
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
