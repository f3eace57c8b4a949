// `ringfence diff --kernel A,B FILE...`: replay every trace under two profiles
// and show the commands whose records differ (fd results compare as "fd"), each
// with its source line and both records.

import { getProfile } from '../../../model/profile/profiles.ts';
import { EXIT } from '../command.ts';
import { defineCommand, flagOption, kernelOption } from '../options.ts';
import { replayTrace } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { diffRecords, formatNormal } from '../../trace/compare.ts';
import { sourceContext, where } from '../../report/context.ts';
import { describeOutcome } from '../../report/outcome.ts';
import { loadTraceArgs } from '../traces.ts';

export const command = defineCommand({
  name: 'diff',
  summary: 'replay under two kernel profiles and show the commands whose records differ',
  args: 'FILE|DIR...',
  synopsis: ['--kernel A,B [--no-invariants] [--json] FILE|DIR...'],
  positionals: { min: 1, name: 'trace file' },
  about: `Replays each trace under profiles A and B and shows every command whose records
differ (a non-negative fd result compares as "fd"), with its source line.
Expectations are not checked.`,
  options: {
    kernel: kernelOption('the two profiles to compare; required', { arg: 'A,B', list: true, count: 2, aliases: ['kernels'] }),
    'no-invariants': flagOption('skip the invariant checks after each step (faster)'),
    json: flagOption('one JSON object: {"kernels", "traces", "differing", "differences":[{"trace","step","line","fields","a","b"}]}'),
  },
  exit: '0 no difference, 1 some records differ, 2 bad usage or input, 3 invariant violated',
  async run({ opts, args }, io, cx) {
    if (!opts.kernel) return cx.usage('--kernel A,B is required');
    const [pa, pb] = opts.kernel.map((n) => getProfile(n)!);

    const loaded = loadTraceArgs(io, args, cx.help);
    if (typeof loaded === 'number') return loaded;
    const replayOpts = replayOptions({ invariants: !opts['no-invariants'] });

    let traces = 0, differing = 0, commands = 0, broken = false, violated = false;
    const found: Record<string, unknown>[] = [];
    for (const f of loaded.files) {
      for (const t of f.traces) {
        traces++;
        const ra = replayTrace(t, pa, replayOpts);
        const rb = replayTrace(t, pb, replayOpts);
        for (const r of [ra, rb]) {
          if (r.violation) violated = true;
          if (r.error || r.violation) { broken = true; io.err(describeOutcome(r, f.source)); }
        }
        const diffs = diffRecords(ra.records, rb.records);
        if (diffs.length === 0) continue;
        differing++;
        commands += diffs.length;
        if (opts.json) {
          for (const d of diffs) {
            const cmd = t.commands[d.i];
            found.push({ trace: t.name, file: t.loc.file, step: d.i, ...(cmd ? { line: cmd.loc.line, command: cmd.text } : {}), fields: d.fields,
              a: d.a ? formatNormal(d.a) : null, b: d.b ? formatNormal(d.b) : null });
          }
          continue;
        }
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
    if (opts.json) io.out(JSON.stringify({ kernels: [pa.name, pb.name], traces, differing, commands, differences: found, fileErrors: loaded.failures.length }));
    else {
      io.out(`${pa.name} vs ${pb.name}: ${differing} of ${traces} traces differ` +
        (differing ? ` (${commands} command${commands === 1 ? '' : 's'})` : ''));
    }
    if (violated) return EXIT.INTERNAL;
    if (loaded.failures.length || broken) return EXIT.USAGE;
    return differing ? EXIT.FAILED : EXIT.OK;
  },
});
