// Random traces for property tests: a walk through an exploration universe (the
// moves explore uses: rings, restrictions, filters, SQEs, forks, setuid, ...), chosen
// by a list of numbers that fast-check shrinks. The walk tracks tasks and rings with
// the reference model (only the shape of its state matters here), prints the steps as
// a v1 trace and parses it back, so every trace is one `ringfence replay` can run and
// a counterexample prints as trace text.

import fc from 'fast-check';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import type { Trace } from '../trace/ast.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { formatTrace } from '../trace/print.ts';
import { referenceSubject } from '../explore/reference/subject.ts';
import { toTraceText } from '../explore/print.ts';
import type { Step } from '../explore/observe.ts';
import { DEFAULT_UNIVERSE, Universe, type UniverseSpec } from '../explore/universe.ts';

export interface TraceArbitraryOptions {
  /** Most commands in a trace (default 12). */
  maxCommands?: number;
  /** Which universe the moves come from (default: the explorer's default universe). */
  universe?: Partial<UniverseSpec>;
}

/** The steps a list of choices picks: at each point, choice modulo the moves available. */
function walk(universe: Universe, profile: KernelProfile, choices: readonly number[], maxCommands: number): Step[] {
  const ref = referenceSubject(profile);
  let s = ref.init();
  const steps: Step[] = [];
  for (const c of choices) {
    const moves = universe.moves(ref.shape(s));
    if (moves.length === 0) break;
    const move = moves[c % moves.length];
    if (steps.length + move.steps.length > maxCommands) break;
    for (const step of move.steps) {
      s = ref.apply(s, step).s;
      steps.push(step);
    }
  }
  return steps;
}

/** Traces of up to `maxCommands` commands for `profile`; each prints as its own trace text. */
export function traceArbitrary(profile: KernelProfile, opts: TraceArbitraryOptions = {}): fc.Arbitrary<Trace> {
  const maxCommands = opts.maxCommands ?? 12;
  const universe = new Universe({ ...DEFAULT_UNIVERSE, ...opts.universe }, profile);
  return fc.array(fc.nat(), { maxLength: maxCommands }).map((choices) => {
    const steps = walk(universe, profile, choices, maxCommands);
    const text = toTraceText(steps, {
      name: 'generated', kernels: [profile.name],
      programText: (n) => { const p = universe.programFor(n); return p && p.asm.length ? p.asm : undefined; },
    });
    const parsed = parseTraceFile('<generated>', text);
    if (!parsed.ok) throw new Error(`ringfence/testing made a trace it cannot parse (a bug): ${parsed.error[0].message}\n${text}`);
    const trace = parsed.value.traces[0];
    // fast-check prints a counterexample with this: the trace text, ready to replay.
    Object.defineProperty(trace, fc.toStringMethod, { value: () => formatTrace(trace), enumerable: false });
    return trace;
  });
}
