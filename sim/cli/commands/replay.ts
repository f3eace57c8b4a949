// `ringfence replay`: replay trace files on the simulated kernel. Prints pass or
// fail per trace and profile, with the first failing expectation in context; with
// --records, prints the JSONL records instead (what is compared with a real kernel).

import { DEFAULT_PROFILE, getProfile, type ProfileName } from '../../../model/profile/profiles.ts';
import { EXIT } from '../command.ts';
import { defineCommand, flagOption, kernelOption, stringOption } from '../options.ts';
import { loadTraceArgs, outcomeJson, pickTraces } from '../traces.ts';
import { replayTrace, type ReplayResult } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { formatRecords } from '../../trace/records.ts';
import { defaultProfile, meantFor, profilesFor } from '../../trace/profiles.ts';
import { describeOutcome, notesOf, verdictOf } from '../../report/outcome.ts';

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

export const command = defineCommand({
  name: 'replay',
  summary: 'replay trace files: pass/fail per trace, or the JSONL records (--records)',
  args: 'FILE|DIR...',
  positionals: { min: 1, name: 'trace file' },
  about: `Replays each trace on the simulated kernel and checks its expectations. A
directory stands for every *.trace file under it.`,
  options: {
    kernel: kernelOption(`replay under profile P only; without it, each trace runs under every
profile in its kernels= list (--records: the default profile, ${DEFAULT_PROFILE} or the newest
in the trace's kernels= list)`, { aliases: ['profile'] }),
    records: flagOption('print the result records (JSONL) instead of pass/fail; one profile,\nevery trace in the files'),
    trace: stringOption('only the traces with this name (an error when none has it)', { arg: 'NAME' }),
    'no-invariants': flagOption('skip the invariant checks after each step (faster)'),
    json: flagOption('one JSON object: {"results":[{"trace","kernel","verdict",...}], "passed", "failed", ...}\n(--records is JSON Lines already)'),
  },
  exit: '0 all passed, 1 an expectation failed, 2 bad usage or input, 3 invariant violated',
  async run({ opts, args }, io, cx) {
    const kname = opts.kernel as ProfileName | undefined;
    const loaded = loadTraceArgs(io, args, cx.help);
    if (typeof loaded === 'number') return loaded;
    const picked = pickTraces(io, loaded.files, opts.trace);
    if (typeof picked === 'number') return picked;
    const replayOpts = replayOptions({ invariants: !opts['no-invariants'] });

    const results: ReplayResult[] = [];
    if (opts.records) {
      for (const { file: f, trace: t } of picked) {
        const r = replayTrace(t, getProfile(kname ?? defaultProfile(t))!, replayOpts);
        io.out(formatRecords(r.records).replace(/\n$/, ''));
        if (r.error || r.violation) { io.err(describeOutcome(r, f.source)); results.push(r); }
        const note = notesOf(r);
        if (note) io.err(note);
      }
      const code = exitFor(results);
      return loaded.failures.length ? Math.max(code, EXIT.USAGE) : code;
    }

    let pass = 0, fail = 0, skipped = 0;
    const json: Record<string, unknown>[] = [];
    for (const { file: f, trace: t } of picked) {
      const profiles: ProfileName[] = kname ? [kname] : profilesFor(t);
      for (const p of profiles) {
        if (!meantFor(t, p)) {
          skipped++;
          if (opts.json) json.push({ trace: t.name, file: t.loc.file, kernel: p, verdict: 'skip' });
          else io.out(`skip  ${t.name} [${p}]  (kernels=${t.kernels!.join(',')})`);
          continue;
        }
        const r = replayTrace(t, getProfile(p)!, replayOpts);
        results.push(r);
        const v = verdictOf(r);
        const note = notesOf(r);
        if (note) io.err(note);
        if (v === 'pass') pass++;
        else fail++;
        if (opts.json) json.push(outcomeJson(r, v));
        else if (v === 'pass') io.out(`pass  ${t.name} [${p}]`);
        else {
          io.out(`${v === 'fail' ? 'FAIL' : v === 'error' ? 'ERROR' : 'INVARIANT'}  ${t.name} [${p}]`);
          io.out(describeOutcome(r, f.source).split('\n').map((l) => '  ' + l).join('\n'));
        }
      }
    }
    if (opts.json) io.out(JSON.stringify({ results: json, passed: pass, failed: fail, skipped, fileErrors: loaded.failures.length }));
    else {
      const parts = [`${pass} passed`, `${fail} failed`];
      if (skipped) parts.push(`${skipped} skipped`);
      if (loaded.failures.length) parts.push(`${loaded.failures.length} file${loaded.failures.length === 1 ? '' : 's'} with errors`);
      io.out(parts.join(', '));
    }
    const code = exitFor(results);
    return loaded.failures.length ? Math.max(code, EXIT.USAGE) : code;
  },
});
