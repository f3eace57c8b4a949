// What every trace-reading command does with its FILE|DIR arguments: expand
// directories, refuse an empty set, parse, and report files with errors (which
// are then left out, so nothing is replayed from them). A binary file or a file
// without a trace is an error (sim/trace/load.ts), and so is `--trace NAME` that
// names no trace: nothing is silently empty.

import { rfError } from '../../model/errors.ts';
import { errorJson, reportError } from './command.ts';
import type { ReplayResult } from '../trace/replay.ts';
import type { Io } from './io.ts';
import type { Trace, TraceFile } from '../trace/ast.ts';
import { expandPaths, loadTraceFiles, type LoadFailure, type Loaded } from '../trace/load.ts';

/** Errors printed per file; the rest are counted (a file of garbage is one screen, not megabytes). */
export const ERRORS_SHOWN = 20;

export function reportLoadFailures(io: Io, failures: LoadFailure[]): void {
  for (const f of failures) {
    const shown = io.jsonErrors ? f.errors : f.errors.slice(0, ERRORS_SHOWN);
    for (const e of shown) reportError(io, e, f.source);
    if (io.jsonErrors) continue;
    if (shown.length < f.errors.length) io.err(`${f.file}: ${f.errors.length - shown.length} more error${f.errors.length - shown.length === 1 ? '' : 's'} not shown`);
    if (f.source !== undefined) io.err(`${f.file}: ${f.errors.length} error${f.errors.length === 1 ? '' : 's'}; nothing was replayed from this file`);
  }
}

/** Load the traces named on the command line; an exit code when there is nothing to load. */
export function loadTraceArgs(io: Io, positionals: readonly string[], usage: string): Loaded | number {
  const paths = expandPaths(positionals);
  if (paths.length === 0) return reportError(io, rfError('usage', `no *.trace files under ${positionals.join(', ')}`), undefined, usage);
  const loaded = loadTraceFiles(io, paths);
  reportLoadFailures(io, loaded.failures);
  return loaded;
}

/**
 * The traces of the loaded files named `name` (all of them without a name), each with
 * its file; an error when a name was given and no trace has it.
 */
export function pickTraces(io: Io, files: readonly TraceFile[], name: string | undefined): Array<{ file: TraceFile; trace: Trace }> | number {
  const all = files.flatMap((file) => file.traces.map((trace) => ({ file, trace })));
  if (name === undefined) return all;
  const hit = all.filter((x) => x.trace.name === name);
  if (hit.length || !files.length) return hit;
  const names = [...new Set(all.map((x) => x.trace.name))];
  return reportError(io, rfError('usage', `no trace named ${name} in the files given`, undefined,
    `one of ${names.slice(0, 12).join(', ')}${names.length > 12 ? `, ... (${names.length})` : ''}`));
}

/** A replay's outcome as the --json output of replay and main gives it. */
export function outcomeJson(r: ReplayResult, verdict: string): Record<string, unknown> {
  const o: Record<string, unknown> = { trace: r.trace.name, file: r.trace.loc.file, kernel: r.profile.name, verdict };
  if (r.failure) {
    const e = r.failure.command.expect!;
    Object.assign(o, { step: r.failure.command.i, line: e.loc.line, col: e.loc.col, expected: r.failure.expected, actual: r.failure.actual, failures: r.failures });
  }
  if (r.error) Object.assign(o, { error: errorJson(r.error).error });
  if (r.violation) Object.assign(o, { step: r.violation.command.i, line: r.violation.command.loc.line, message: r.violation.message });
  return o;
}
