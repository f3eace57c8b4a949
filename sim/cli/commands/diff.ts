// `ringfence diff --kernels A,B FILE...`: replay every trace under two profiles
// and show the commands whose records differ (fd results compare as "fd"), each
// with its source line and both records.

import { rfError } from '../../../model/errors.ts';
import { PROFILE_NAMES, getProfile } from '../../../model/profile/profiles.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import { replayTrace } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { diffRecords, formatNormal } from '../../trace/compare.ts';
import { parseProfileList } from '../../trace/profiles.ts';
import { sourceContext, where } from '../../report/context.ts';
import { describeOutcome } from '../../report/outcome.ts';
import { loadTraceArgs } from '../traces.ts';

const USAGE = `usage: ringfence diff --kernels A,B [--no-invariants] FILE|DIR...

Replays each trace under profiles A and B and shows every command whose records
differ (a non-negative fd result compares as "fd"), with its source line.
Expectations are not checked. Profiles: ${PROFILE_NAMES.join(', ')}.
exit: 0 no difference, 1 some records differ, 2 bad usage or input, 3 invariant violated`;

export const command: Command = {
  name: 'diff',
  summary: 'replay under two kernel profiles and show the commands whose records differ',
  usage: USAGE,
  async run(argv, io) {
    const a = parseCommandArgs(argv, { kernels: { type: 'string' }, 'no-invariants': { type: 'boolean' } });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const { values, positionals } = a.value;
    const ks = values.kernels as string | undefined;
    if (!ks) return reportError(io, rfError('usage', '--kernels A,B is required'), undefined, USAGE);
    const list = parseProfileList(ks);
    if (!list.ok) return reportError(io, rfError('usage', `unknown kernel profile '${list.bad}'`, undefined, `one of ${PROFILE_NAMES.join(', ')}`), undefined, USAGE);
    if (list.value.length !== 2) return reportError(io, rfError('usage', `--kernels takes two profiles, got ${list.value.length}`, undefined, 'A,B'), undefined, USAGE);
    if (positionals.length === 0) return reportError(io, rfError('usage', 'no trace file given'), undefined, USAGE);
    const [pa, pb] = list.value.map((n) => getProfile(n)!);

    const loaded = loadTraceArgs(io, positionals, USAGE);
    if (typeof loaded === 'number') return loaded;
    const opts = replayOptions({ invariants: !values['no-invariants'] });

    let traces = 0, differing = 0, commands = 0, broken = false, violated = false;
    for (const f of loaded.files) {
      for (const t of f.traces) {
        traces++;
        const ra = replayTrace(t, pa, opts);
        const rb = replayTrace(t, pb, opts);
        for (const r of [ra, rb]) {
          if (r.violation) violated = true;
          if (r.error || r.violation) { broken = true; io.err(describeOutcome(r, f.source)); }
        }
        const diffs = diffRecords(ra.records, rb.records);
        if (diffs.length === 0) continue;
        differing++;
        commands += diffs.length;
        io.out(`trace ${t.name}: ${diffs.length === 1 ? '1 command differs' : `${diffs.length} commands differ`}`);
        for (const d of diffs) {
          const cmd = t.commands[d.i];
          if (cmd) {
            io.out(`  ${where(cmd.loc)}: step ${d.i} (${d.fields.join(', ')})`);
            io.out(sourceContext(f.source, cmd.loc, 0).split('\n').map((l) => '  ' + l).join('\n'));
          } else io.out(`  step ${d.i} (${d.fields.join(', ')})`);
          io.out(`    ${pa.name.padEnd(5)} ${d.a ? formatNormal(d.a) : '(no record)'}`);
          io.out(`    ${pb.name.padEnd(5)} ${d.b ? formatNormal(d.b) : '(no record)'}`);
        }
      }
    }
    io.out(`${pa.name} vs ${pb.name}: ${differing} of ${traces} traces differ` +
      (differing ? ` (${commands} command${commands === 1 ? '' : 's'})` : ''));
    if (violated) return EXIT.INTERNAL;
    if (loaded.failures.length || broken) return EXIT.USAGE;
    return differing ? EXIT.FAILED : EXIT.OK;
  },
};
