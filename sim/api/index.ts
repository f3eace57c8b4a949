/**
 * `ringfence`: load and replay traces, read and write result records, and compare the
 * simulator with the recorded outputs of real kernels.
 *
 * @example
 * ```ts
 * import { parseTraces, replay, replayPassed, formatRecords } from 'ringfence';
 *
 * const file = parseTraces(`
 * trace legacy-deny kernels=7.3
 *   ring r flags=R_DISABLED => 0
 *   restrict r sqe_op:NOP => 0
 *   enable r => 0
 *   sqe r op=SOCKET ud=1 domain=AF_INET type=SOCK_STREAM
 *   submit r => 1
 *   cqes r => 1:-EACCES
 * end
 * `, 'example.trace');
 * if (!file.ok) throw new Error(file.error.map((e) => e.message).join('\n'));
 * const result = replay(file.value.traces[0], '7.3');
 * console.log(replayPassed(result));            // true
 * console.log(formatRecords(result.records));   // one JSON record per command
 * ```
 * @module ringfence
 */

import { readFileSync } from 'node:fs';
import { formatError, rfError, type Result, type RfError, type SourceLoc, type ErrorKind } from '../../model/errors.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, type KernelProfile, type ProfileName } from '../../model/profile/profiles.ts';
import type { Trace, TraceFile, TraceRecord } from '../trace/ast.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { replayTrace, replayPassed, type ReplayResult, type InvariantViolation } from '../trace/replay.ts';
import { replayOptions } from '../trace/kernel-link.ts';
import { meantFor, profilesFor } from '../trace/profiles.ts';
import { formatRecords, parseRecords } from '../trace/records.ts';
import { diffRecords, sameRecords, type NormalRecord, type RecordDiff } from '../trace/compare.ts';
import type { ExpectationFailure } from '../trace/expect.ts';
import { compareTrace, comparisonPassed, describeComparison, type TraceComparison } from '../oracle/compare.ts';
import { recordingPath } from '../oracle/record.ts';
import { assetPath } from '../package/layout.ts';
import { toProfile, type ProfileLike } from './profile.ts';

export type { Result, RfError, SourceLoc, ErrorKind, KernelProfile, ProfileName, ProfileLike };
export type { Trace, TraceFile, TraceRecord, ReplayResult, InvariantViolation, ExpectationFailure };
export type { NormalRecord, RecordDiff, TraceComparison };
export { DEFAULT_PROFILE, PROFILE_NAMES, formatError, replayPassed, profilesFor, meantFor };
export { formatRecords, parseRecords, diffRecords, sameRecords, comparisonPassed, describeComparison };

/** Parse the text of a trace file (trace-format.md). `file` names it in error messages. */
export function parseTraces(source: string, file = '<input>'): Result<TraceFile, RfError[]> {
  return parseTraceFile(file, source);
}

/** Read and parse a trace file. A file that cannot be read is one error of kind 'io'. */
export function loadTraceFile(path: string): Result<TraceFile, RfError[]> {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, error: [rfError('io', `cannot read ${path}: ${(e as Error).message}`)] };
  }
  return parseTraceFile(path, source);
}

/** Options of {@link replay}. */
export interface ReplayOptions {
  /** Check the kernel model's invariants after every command (default true; false is faster). */
  invariants?: boolean;
}

/** Replay one trace on a fresh simulated kernel of `profile` (default: the newest, 7.3). */
export function replay(trace: Trace, profile: ProfileLike = DEFAULT_PROFILE, opts: ReplayOptions = {}): ReplayResult {
  return replayTrace(trace, toProfile(profile), replayOptions({ invariants: opts.invariants ?? true }));
}

/** Replay every trace of a file that is meant for `profile` (its `kernels=` list allows it). */
export function replayFile(file: TraceFile, profile: ProfileLike = DEFAULT_PROFILE, opts: ReplayOptions = {}): ReplayResult[] {
  const p = toProfile(profile);
  return file.traces.filter((t) => meantFor(t, p.name)).map((t) => replay(t, p, opts));
}

/** The scenarios shipped with the package, and their recordings under `recorded/<profile>/`. */
export const SCENARIOS_DIR: string = assetPath('scenarios');

/** Where the recording of a trace file under `scenariosDir` lives for `profile`. */
export { recordingPath };

/**
 * The simulator against a real kernel's recorded records (a `.jsonl` recording, as
 * parsed by {@link parseRecords}): one comparison per trace of the file that was recorded.
 * The simulator runs without invariant checks, as the recorded tests do.
 */
export function compareWithRecording(file: TraceFile, profile: ProfileLike, recorded: readonly TraceRecord[]): TraceComparison[] {
  const p = toProfile(profile);
  const names = new Set(recorded.map((r) => r.trace));
  return file.traces.filter((t) => names.has(t.name)).map((t) => {
    const sim = replay(t, p, { invariants: false }).records;
    return compareTrace(t, p.name, sim, recorded.filter((r) => r.trace === t.name), 'ok');
  });
}
