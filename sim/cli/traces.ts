// What every trace-reading command does with its FILE|DIR arguments: expand
// directories, refuse an empty set, parse, and report files with errors (which
// are then left out, so nothing is replayed from them).

import { formatError, rfError } from '../../model/errors.ts';
import { reportError } from './command.ts';
import type { Io } from './io.ts';
import { expandPaths, loadTraceFiles, type LoadFailure, type Loaded } from '../trace/load.ts';

export function reportLoadFailures(io: Io, failures: LoadFailure[]): void {
  for (const f of failures) {
    for (const e of f.errors) io.err(formatError(e, f.source));
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
