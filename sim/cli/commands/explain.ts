// `ringfence explain FILE`: narrate a trace step by step with the state after each
// step: tasks, the rings they hold, which filter table each holder points at,
// refcounts, and every filter chain. Text by default; Graphviz dot or Mermaid
// diagrams with --dot / --mermaid.

import { rfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, getProfile, type ProfileName } from '../../../model/profile/profiles.ts';
import type { World } from '../../../model/world/world.ts';
import { EXIT, parseCommandArgs, reportError, type Command } from '../command.ts';
import type { Trace } from '../../trace/ast.ts';
import { loadTraceFiles } from '../../trace/load.ts';
import { replayTrace } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { checkExpectation, describeActual } from '../../trace/expect.ts';
import { FdUserData } from '../../trace/fdops.ts';
import { describeWorld, programNamer } from '../../report/describe.ts';
import { BUILTIN_PROGRAMS } from '../../trace/program.ts';
import type { Insn } from '../../../model/bpf/insn.ts';
import { renderDot, renderMermaid, renderText } from '../../report/world-view.ts';
import { describeOutcome, notesOf, verdictOf } from '../../report/outcome.ts';
import { exitFor } from './replay.ts';
import { reportLoadFailures } from '../traces.ts';

const USAGE = `usage: ringfence explain FILE [--kernel P] [--trace NAME] [--dot | --mermaid] [--no-invariants]

Replays each trace of FILE and narrates it step by step, with the state after
each step: tasks, rings, which filter table each holds, refcounts, and every
filter chain.
  --kernel P      the profile (${PROFILE_NAMES.join(', ')}); default: ${DEFAULT_PROFILE}, or the newest
                  profile in the trace's kernels= list
  --trace NAME    only this trace of the file
  --dot           one Graphviz digraph per step (render with: dot -Tsvg -O FILE.dot)
  --mermaid       Markdown with one Mermaid flowchart per step
exit: as replay (0 the expectations held, 1 one failed, 2 bad input, 3 invariant violated)`;

/** The profile to explain a trace under when none is given. */
export function explainProfile(t: Trace): ProfileName {
  if (!t.kernels || t.kernels.includes(DEFAULT_PROFILE)) return DEFAULT_PROFILE;
  const ordered = PROFILE_NAMES.filter((p) => t.kernels!.includes(p) && getProfile(p)!.release !== null);
  return ordered[ordered.length - 1] ?? t.kernels[t.kernels.length - 1];
}

export const command: Command = {
  name: 'explain',
  summary: 'narrate a trace step by step with the state after each step (text, --dot or --mermaid)',
  usage: USAGE,
  async run(argv, io) {
    const a = parseCommandArgs(argv, {
      kernel: { type: 'string' }, trace: { type: 'string' }, dot: { type: 'boolean' }, mermaid: { type: 'boolean' },
      'no-invariants': { type: 'boolean' },
    });
    if (!a.ok) return reportError(io, a.error, undefined, USAGE);
    const { values, positionals } = a.value;
    if (positionals.length !== 1) return reportError(io, rfError('usage', positionals.length ? 'explain takes one file' : 'no trace file given'), undefined, USAGE);
    if (values.dot && values.mermaid) return reportError(io, rfError('usage', '--dot and --mermaid exclude each other'), undefined, USAGE);
    const kname = values.kernel as string | undefined;
    if (kname !== undefined && !getProfile(kname)) {
      return reportError(io, rfError('usage', `unknown kernel profile '${kname}'`, undefined, `one of ${PROFILE_NAMES.join(', ')}`), undefined, USAGE);
    }
    const loaded = loadTraceFiles(io, positionals);
    if (loaded.failures.length) { reportLoadFailures(io, loaded.failures); return EXIT.USAGE; }
    const file = loaded.files[0];
    const only = values.trace as string | undefined;
    const traces = only ? file.traces.filter((t) => t.name === only) : file.traces;
    if (traces.length === 0) {
      return reportError(io, rfError('usage', only ? `no trace ${only} in ${file.file}` : `${file.file} holds no trace`, undefined,
        file.traces.length ? `one of ${file.traces.map((t) => t.name).join(', ')}` : undefined));
    }
    const opts = replayOptions({ invariants: !values['no-invariants'] });

    const mode = values.dot ? 'dot' : values.mermaid ? 'mermaid' : 'text';
    const results = [];
    for (const t of traces) {
      const profile = getProfile(kname ?? explainProfile(t))!;
      const title = `trace ${t.name} under ${profile.name}`;
      if (mode === 'text') io.out(`${title} (${t.loc.file}:${t.loc.line})` + (t.kernels && !t.kernels.includes(profile.name) ? `  [not meant for ${profile.name}: kernels=${t.kernels.join(',')}]` : ''));
      if (mode === 'mermaid') io.out(`## ${title}\n`);
      const fds = new FdUserData();
      const namer = programNamer([
        ...[...t.programs.values()].map((p) => [p.name, p.insns] as [string, Insn[]]),
        ...BUILTIN_PROGRAMS,
        ...t.commands.flatMap((c) => (c.c === 'bpf' ? [[c.program, c.insns] as [string, Insn[]]] : [])),
      ]);
      const r = replayTrace(t, profile, {
        ...opts,
        onStep(cmd, rec, k, names) {
          const view = describeWorld(k.world as World, names, namer);
          const result = describeActual(cmd.c, rec);
          if (rec.c === 'sqe' && rec.ud !== undefined && rec.op !== undefined) fds.note(rec.ud, rec.op);
          const exp = cmd.expect ? (checkExpectation(cmd, rec, fds) ? `   [FAILED: expected => ${cmd.expect.text}]` : `   [as expected]`) : '';
          const head = `step ${cmd.i}, line ${cmd.loc.line}: ${cmd.task === 'init' ? '' : '@' + cmd.task + ' '}${stripTask(cmd.text)}`;
          const outcome = `${detail(cmd.c, rec, result)}${exp}`;
          if (mode === 'text') {
            io.out(`\n${head}\n  -> ${outcome}`);
            io.out(renderText(view));
          } else if (mode === 'dot') {
            io.out(renderDot(view, `${t.name} step ${cmd.i}`, `${title}, ${head} -> ${outcome}`));
          } else {
            io.out(`### ${head.replace(/`/g, "'")}\n\n-> ${outcome}\n\n\`\`\`mermaid\n${renderMermaid(view)}\n\`\`\`\n`);
          }
        },
      });
      results.push(r);
      const note = notesOf(r);
      if (note) io.err(note);
      const v = verdictOf(r);
      const summary = v === 'pass' ? `${title}: every expectation held` : describeOutcome(r, file.source);
      if (mode === 'text') io.out('\n' + summary + '\n');
      else if (mode === 'mermaid') io.out(summary.split('\n').map((l) => '    ' + l).join('\n') + '\n');
      else io.err(summary);
    }
    return exitFor(results);
  },
};

function stripTask(text: string): string {
  return text.replace(/^@\S+\s+/, '');
}

/** What a step returned, in words: `ret 0`, `queued 2 (NOP, ud 1)`, `CQEs 1:0 2:-EACCES`. */
function detail(c: string, rec: { queued?: number; op?: string; ud?: string }, result: string): string {
  if (c === 'sqe') return `queued ${rec.queued} (${rec.op}, ud ${rec.ud})`;
  if (c === 'cqes') return result === 'none' ? 'no CQE' : `CQEs ${result}`;
  return `ret ${result}`;
}
