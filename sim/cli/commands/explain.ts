// `ringfence explain FILE`: narrate a trace step by step with what each step
// changed (sim/report/delta.ts), so the output grows with the trace; the whole
// state (tasks, rings, tables, refcounts, chains) on request. Text by default;
// JSON lines, Graphviz dot, Mermaid or SVG (the playground's diagram) on request.

import { rfError } from '../../../model/errors.ts';
import { DEFAULT_PROFILE, getProfile } from '../../../model/profile/profiles.ts';
import { initialWorld, type World } from '../../../model/world/world.ts';
import { EXIT, reportError } from '../command.ts';
import { defineCommand, flagOption, intOption, kernelOption, stringOption } from '../options.ts';
import { loadTraceFiles } from '../../trace/load.ts';
import { replayTrace, type TraceNames } from '../../trace/replay.ts';
import { replayOptions } from '../../trace/kernel-link.ts';
import { checkExpectation } from '../../trace/expect.ts';
import { FdUserData } from '../../trace/fdops.ts';
import { describeWorld } from '../../report/describe.ts';
import { renderText } from '../../report/world-view.ts';
import { changedIds, renderDelta, worldDelta, type WorldDelta } from '../../report/delta.ts';
import { worldDiagram } from '../../report/graph.ts';
import { renderDot, renderMermaid } from '../../report/render.ts';
import { renderSvg } from '../../report/svg.ts';
import { LiveNames, defaultProfileFor, outcomeText, traceProgramNamer } from '../../report/steps.ts';
import { describeOutcome, notesOf, verdictOf } from '../../report/outcome.ts';
import { exitFor } from './replay.ts';
import { reportLoadFailures } from '../traces.ts';

/** Bound on --every and --step (beyond any trace people write by hand). */
const MAX_STEP = 100_000_000;

/** The profile to explain a trace under when none is given. */
export const explainProfile = defaultProfileFor;

type Mode = 'text' | 'json' | 'dot' | 'mermaid' | 'svg';

export const command = defineCommand({
  name: 'explain',
  summary: 'narrate a trace step by step: what each step changed (text, --json, --dot, --mermaid or --svg)',
  args: 'FILE',
  positionals: { min: 1, max: 1, name: 'trace file' },
  about: `Replays each trace of FILE and narrates it step by step: the command, what it
returned, whether its expectation held, and what the step changed (tasks, rings,
filter tables and filters added, removed or changed, field by field). The whole
state (tasks, rings, which filter table each holds, refcounts, filter chains) is
printed on request and after the last step.`,
  options: {
    kernel: kernelOption(`the profile; default: ${DEFAULT_PROFILE}, or the newest profile in the
trace's kernels= list`),
    trace: stringOption('only this trace of the file', { arg: 'NAME' }),
    full: flagOption('the whole state after every step (output grows with steps x state)'),
    every: intOption('the whole state every N steps', { arg: 'N', min: 1, max: MAX_STEP }),
    step: intOption('the whole state after step N; with --svg, the step drawn', { arg: 'N', min: 0, max: MAX_STEP }),
    json: flagOption(`one JSON object per line and step: command, record, expectation, delta, and
the diagram (boxes and arrows with stable ids) where the whole state is shown`),
    dot: flagOption(`Graphviz digraphs where the whole state is shown (every step unless
--every/--step say otherwise; render with: dot -Tsvg -O FILE.dot)`),
    mermaid: flagOption('Markdown with Mermaid flowcharts, chosen as for --dot'),
    svg: flagOption(`one SVG document: the diagram the playground draws, after --step N
(default: the last step); needs a single trace (--trace NAME)`),
    'no-invariants': flagOption('skip the invariant checks after each step'),
  },
  exit: 'as replay (0 the expectations held, 1 one failed, 2 bad input, 3 invariant violated)',
  async run({ opts: values, args: positionals }, io, cx) {
    const modes = (['json', 'dot', 'mermaid', 'svg'] as const).filter((m) => values[m]);
    if (modes.length > 1) return cx.usage(`--${modes[0]} and --${modes[1]} exclude each other`);
    const mode = (modes[0] ?? 'text') as Mode;
    if (values.full && values.every !== undefined) return cx.usage('--full and --every exclude each other');
    const every = values.every ?? NaN;
    const stepOpt = values.step ?? NaN;
    const kname = values.kernel;
    const loaded = loadTraceFiles(io, positionals);
    if (loaded.failures.length) { reportLoadFailures(io, loaded.failures); return EXIT.USAGE; }
    const file = loaded.files[0];
    const only = values.trace;
    const traces = only ? file.traces.filter((t) => t.name === only) : file.traces;
    if (traces.length === 0) {
      return reportError(io, rfError('usage', only ? `no trace ${only} in ${file.file}` : `${file.file} holds no trace`, undefined,
        file.traces.length ? `one of ${file.traces.map((t) => t.name).join(', ')}` : undefined));
    }
    if (mode === 'svg' && traces.length > 1) {
      return cx.usage(`--svg draws one trace and ${file.file} holds ${traces.length}`, `--trace NAME, one of ${traces.map((t) => t.name).join(', ')}`);
    }
    const opts = replayOptions({ invariants: !values['no-invariants'] });
    // Where the whole state is shown: every step for diagrams unless narrowed, else on request.
    const narrowed = values.full || !Number.isNaN(every) || !Number.isNaN(stepOpt);
    const wholeAt = (i: number) =>
      values.full === true || (!Number.isNaN(every) && i % every === 0) || i === stepOpt ||
      (!narrowed && (mode === 'dot' || mode === 'mermaid'));

    const results = [];
    for (const t of traces) {
      const profile = getProfile(kname ?? explainProfile(t))!;
      const title = `trace ${t.name} under ${profile.name}`;
      if (mode === 'text') io.out(`${title} (${t.loc.file}:${t.loc.line})` + (t.kernels && !t.kernels.includes(profile.name) ? `  [not meant for ${profile.name}: kernels=${t.kernels.join(',')}]` : ''));
      if (mode === 'mermaid') io.out(`## ${title}\n`);
      const fds = new FdUserData();
      const namer = traceProgramNamer(t);
      const live = new LiveNames(namer);
      let prev: World = initialWorld();
      const lastRef: { v: { world: World; names: TraceNames; delta: WorldDelta; head: string } | null } = { v: null };
      const diagramOf = (world: World, names: TraceNames, delta: WorldDelta) =>
        worldDiagram(describeWorld(world, names, namer), changedIds(delta));
      const r = replayTrace(t, profile, {
        ...opts,
        onStep(cmd, rec, k, names) {
          const world = k.world as World;
          live.note(cmd, names, world);
          const delta = worldDelta(prev, world, live);
          prev = world;
          if (rec.c === 'sqe' && rec.ud !== undefined && rec.op !== undefined) fds.note(rec.ud, rec.op);
          const held = cmd.expect ? !checkExpectation(cmd, rec, fds) : null;
          const exp = cmd.expect ? (held ? `   [as expected]` : `   [FAILED: expected => ${cmd.expect.text}]`) : '';
          const head = `step ${cmd.i}, line ${cmd.loc.line}: ${cmd.task === 'init' ? '' : '@' + cmd.task + ' '}${stripTask(cmd.text)}`;
          const outcome = `${outcomeText(cmd.c, rec)}${exp}`;
          const whole = wholeAt(cmd.i);
          if (mode === 'svg') {
            // The live names are the last step's once the replay ends; a chosen step keeps a copy.
            if (cmd.i === stepOpt || Number.isNaN(stepOpt)) lastRef.v = { world, names: cmd.i === stepOpt ? copyNames(names) : names, delta, head: `${head} -> ${outcome}` };
            return;
          }
          if (mode === 'text') {
            io.out(`\n${head}\n  -> ${outcome}`);
            io.out(renderDelta(delta));
            if (whole) io.out('  state after this step:\n' + renderText(describeWorld(world, names, namer)).replace(/^/gm, '  '));
          } else if (mode === 'json') {
            const o: Record<string, unknown> = {
              trace: t.name, profile: profile.name, step: cmd.i, line: cmd.loc.line, task: cmd.task, command: stripTask(cmd.text),
              record: rec, outcome: outcomeText(cmd.c, rec), expect: cmd.expect ? { text: cmd.expect.text, held } : null, delta,
            };
            if (whole) o.diagram = diagramOf(world, names, delta);
            io.out(JSON.stringify(o));
          } else if (whole) {
            const d = diagramOf(world, names, delta);
            if (mode === 'dot') io.out(renderDot(d, `${t.name} step ${cmd.i}`, `${title}, ${head} -> ${outcome}`));
            else io.out(`### ${head.replace(/`/g, "'")}\n\n-> ${outcome}\n\n\`\`\`mermaid\n${renderMermaid(d)}\n\`\`\`\n`);
          }
          lastRef.v = { world, names, delta, head };
        },
      });
      results.push(r);
      const note = notesOf(r);
      if (note) io.err(note);
      const v = verdictOf(r);
      const summary = v === 'pass' ? `${title}: every expectation held` : describeOutcome(r, file.source);
      const end = lastRef.v;
      if (mode === 'svg') {
        if (!end) return reportError(io, rfError('usage', Number.isNaN(stepOpt) ? `trace ${t.name} has no step to draw` : `trace ${t.name} has no step ${stepOpt}`));
        io.out(renderSvg(diagramOf(end.world, end.names, end.delta), { title: `${title}, after ${end.head}` }));
        io.err(summary);
        continue;
      }
      if (mode === 'text') {
        // The whole state once at the end, unless the last step printed it already.
        if (end && !wholeAt(r.records.length - 1)) io.out('\nstate after the last step:\n' + renderText(describeWorld(end.world, end.names, namer)));
        io.out('\n' + summary + '\n');
      } else if (mode === 'mermaid') io.out(summary.split('\n').map((l) => '    ' + l).join('\n') + '\n');
      else if (mode === 'json') io.out(JSON.stringify({ trace: t.name, profile: profile.name, verdict: v, summary }));
      else io.err(summary);
    }
    return exitFor(results);
  },
});

const copyNames = (names: TraceNames): TraceNames =>
  new Map([...names].map(([n, t]) => [n, { pid: t.pid, rings: new Map(t.rings) }]));

function stripTask(text: string): string {
  return text.replace(/^@\S+\s+/, '');
}
