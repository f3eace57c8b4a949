// `ringfence replay`: replay trace files on the simulated kernel. Prints pass or
// fail per trace and profile, with the first failing expectation in context; with
// --records, prints the JSONL records instead (what is compared with a real kernel).

import { rfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, getProfile, type ProfileName } from '../../../model/profile/profiles.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import type { Trace } from '../../trace/ast.ts';
import { loadTraceArgs } from '../traces.ts';
import { replayTrace, type ReplayResult } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { formatRecords } from '../../trace/records.ts';
import { meantFor, profilesFor } from '../../trace/profiles.ts';
import { describeOutcome, notesOf, verdictOf } from '../../report/outcome.ts';

const USAGE = `usage: ringfence replay [--kernel P] [--records] [--trace NAME] [--no-invariants] FILE|DIR...

Replays each trace on the simulated kernel and checks its expectations. A
directory stands for every *.trace file under it.
  --kernel P        replay under profile P only (${PROFILE_NAMES.join(', ')});
                    without it, each trace runs under every profile in its kernels= list
  --records         print the result records (JSONL) instead of pass/fail; one profile
                    (--kernel, default ${DEFAULT_PROFILE}), every trace in the files
  --trace NAME      only the traces with this name
  --no-invariants   skip the invariant checks after each step (faster)
exit: 0 all passed, 1 an expectation failed, 2 bad usage or input, 3 invariant violated`;

/** The exit code for a set of replays: the worst outcome wins. */
export function exitFor(results: ReplayResult[]): number {
  let code: number = EXIT.OK;
  for (const r of results) {
    const v = verdictOf(r);
    const c = v === 'invariant' ? EXIT.INTERNAL : v === 'error' ? EXIT.USAGE : v === 'fail' ? EXIT.FAILED : EXIT.OK;
    if (c > code) code = c;
  }
  return code;
}

export const command: Command = {
  name: 'replay',
  summary: 'replay trace files: pass/fail per trace, or the JSONL records (--records)',
  usage: USAGE,
  async run(argv, io) {
    const a = parseCommandArgs(argv, {
      kernel: { type: 'string' }, records: { type: 'boolean' }, trace: { type: 'string' }, 'no-invariants': { type: 'boolean' },
    });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const { values, positionals } = a.value;
    if (positionals.length === 0) return reportError(io, rfError('usage', 'no trace file given'), undefined, USAGE);
    const kname = values.kernel as string | undefined;
    if (kname !== undefined && !getProfile(kname)) {
      return reportError(io, rfError('usage', `unknown kernel profile '${kname}'`, undefined, `one of ${PROFILE_NAMES.join(', ')}`), undefined, USAGE);
    }
    const loaded = loadTraceArgs(io, positionals, USAGE);
    if (typeof loaded === 'number') return loaded;
    const opts = replayOptions({ invariants: !values['no-invariants'] });

    const only = values.trace as string | undefined;
    const pick = (ts: Trace[]) => (only === undefined ? ts : ts.filter((t) => t.name === only));
    const results: ReplayResult[] = [];
    if (values.records) {
      const profile = getProfile(kname ?? DEFAULT_PROFILE)!;
      for (const f of loaded.files) {
        for (const t of pick(f.traces)) {
          const r = replayTrace(t, profile, opts);
          io.out(formatRecords(r.records).replace(/\n$/, ''));
          if (r.error || r.violation) { io.err(describeOutcome(r, f.source)); results.push(r); }
          const note = notesOf(r);
          if (note) io.err(note);
        }
      }
      const code = exitFor(results);
      return loaded.failures.length ? Math.max(code, EXIT.USAGE) : code;
    }

    let pass = 0, fail = 0, skipped = 0;
    for (const f of loaded.files) {
      for (const t of pick(f.traces)) {
        const profiles: ProfileName[] = kname ? [kname as ProfileName] : profilesFor(t);
        for (const p of profiles) {
          if (!meantFor(t, p)) {
            skipped++;
            io.out(`skip  ${t.name} [${p}]  (kernels=${t.kernels!.join(',')})`);
            continue;
          }
          const r = replayTrace(t, getProfile(p)!, opts);
          results.push(r);
          const v = verdictOf(r);
          const note = notesOf(r);
          if (note) io.err(note);
          if (v === 'pass') { pass++; io.out(`pass  ${t.name} [${p}]`); }
          else {
            fail++;
            io.out(`${v === 'fail' ? 'FAIL' : v === 'error' ? 'ERROR' : 'INVARIANT'}  ${t.name} [${p}]`);
            io.out(describeOutcome(r, f.source).split('\n').map((l) => '  ' + l).join('\n'));
          }
        }
      }
    }
    if (only !== undefined && pass + fail + skipped === 0 && loaded.files.length) {
      return reportError(io, rfError('usage', `no trace named ${only} in the files given`));
    }
    const parts = [`${pass} passed`, `${fail} failed`];
    if (skipped) parts.push(`${skipped} skipped`);
    if (loaded.failures.length) parts.push(`${loaded.failures.length} file${loaded.failures.length === 1 ? '' : 's'} with errors`);
    io.out(parts.join(', '));
    const code = exitFor(results);
    return loaded.failures.length ? Math.max(code, EXIT.USAGE) : code;
  },
};
