// Replaying a trace for people: every step with its command, record, expectation
// verdict and the world value after it (worlds are immutable, so keeping them all
// costs only what each step changed). The playground steps back and forth over
// these; `explain` streams the same facts without keeping them (LiveNames).

import type { Insn } from '../../model/bpf/insn.ts';
import { DEFAULT_PROFILE, PROFILE_NAMES, getProfile, type KernelProfile, type ProfileName } from '../../model/profile/profiles.ts';
import { initialWorld, type World } from '../../model/world/world.ts';
import type { Trace, TraceCommand, TraceRecord } from '../trace/ast.ts';
import { checkExpectation, describeActual } from '../trace/expect.ts';
import { FdUserData } from '../trace/fdops.ts';
import { BUILTIN_PROGRAMS } from '../trace/program.ts';
import { replayTrace, type ReplayResult, type TraceNames } from '../trace/replay.ts';
import { replayOptions } from '../trace/kernel-link.ts';
import { changedIds, worldDelta, type DeltaNames, type WorldDelta } from './delta.ts';
import { describeWorld, programNamer, type ProgramNamer } from './describe.ts';
import { worldDiagram, type Diagram } from './graph.ts';
import type { WorldView } from './world-view.ts';

/** The expectation of a step and whether it held (null: the command had none). */
export interface StepExpectation {
  text: string;
  held: boolean;
}

export interface Step {
  command: TraceCommand;
  record: TraceRecord;
  /** What the step returned, in words: `ret 0`, `queued 2 (NOP, ud 1)`, `CQEs 1:0`. */
  outcome: string;
  expect: StepExpectation | null;
  /** The world after the step. */
  world: World;
  /** The trace's names after the step (a copy). */
  names: TraceNames;
}

export interface Stepped {
  trace: Trace;
  profile: KernelProfile;
  /** The world before the first step. */
  start: World;
  steps: Step[];
  result: ReplayResult;
  programs: ProgramNamer;
}

/** The trace's program names, for labelling filter nodes by their instructions. */
export function traceProgramNamer(t: Trace): ProgramNamer {
  return programNamer([
    ...[...t.programs.values()].map((p) => [p.name, p.insns] as [string, Insn[]]),
    ...BUILTIN_PROGRAMS,
    ...t.commands.flatMap((c) => (c.c === 'bpf' ? [[c.program, c.insns] as [string, Insn[]]] : [])),
  ]);
}

/** What a step returned, in words. */
export function outcomeText(c: string, rec: TraceRecord): string {
  const result = describeActual(c as TraceCommand['c'], rec);
  if (c === 'sqe') return `queued ${rec.queued} (${rec.op}, ud ${rec.ud})`;
  if (c === 'cqes') return result === 'none' ? 'no CQE' : `CQEs ${result}`;
  return `ret ${result}`;
}

const copyNames = (names: TraceNames): TraceNames =>
  new Map([...names].map(([n, t]) => [n, { pid: t.pid, rings: new Map(t.rings) }]));

/** Replay a trace keeping every step's world (for small traces: the page, tests). */
export function stepTrace(trace: Trace, profile: KernelProfile, opts: { invariants?: boolean } = {}): Stepped {
  const steps: Step[] = [];
  const fds = new FdUserData();
  const base = replayOptions({ invariants: opts.invariants ?? false });
  const result = replayTrace(trace, profile, {
    ...base,
    onStep(cmd, rec, k, names) {
      if (rec.c === 'sqe' && rec.ud !== undefined && rec.op !== undefined) fds.note(rec.ud, rec.op);
      const expect = cmd.expect ? { text: cmd.expect.text, held: !checkExpectation(cmd, rec, fds) } : null;
      steps.push({ command: cmd, record: rec, outcome: outcomeText(cmd.c, rec), expect, world: k.world as World, names: copyNames(names) });
    },
  });
  return { trace, profile, start: initialWorld(), steps, result, programs: traceProgramNamer(trace) };
}

/** DeltaNames read from a snapshot of the trace's names (one pass over them). */
export function snapshotNames(names: TraceNames, world: World, programs: ProgramNamer): DeltaNames {
  const byPid = new Map<number, string>();
  const ringName = new Map<number, string>();
  for (const [name, t] of names) {
    byPid.set(t.pid, name);
    const task = world.tasks.get(t.pid);
    for (const [rn, fd] of t.rings) {
      const e = task?.fds[fd];
      if (e?.kind === 'ring' && !ringName.has(e.ring)) ringName.set(e.ring, `${name}:${rn}`);
    }
  }
  return { task: (pid) => byPid.get(pid) ?? `pid ${pid}`, ring: (id) => ringName.get(id), program: programs };
}

/** The state of step i (-1: before the first step): its view, what it changed, and the diagram. */
export interface StepState {
  view: WorldView;
  delta: WorldDelta;
  diagram: Diagram;
}

export function stepState(s: Stepped, i: number): StepState {
  const world = i < 0 ? s.start : s.steps[i].world;
  const prev = i <= 0 ? s.start : s.steps[i - 1].world;
  const names: TraceNames = i < 0 ? new Map([['init', { pid: 1, rings: new Map() }]]) : s.steps[i].names;
  // Names from after the step, so a removed task or ring still has the name it had.
  const before: TraceNames = i <= 0 ? names : s.steps[i - 1].names;
  const dn = snapshotNames(names, world, s.programs);
  const bn = snapshotNames(before, prev, s.programs);
  const delta = i < 0 ? { changes: [] } : worldDelta(prev, world, {
    task: (pid) => { const n = dn.task(pid); return n.startsWith('pid ') ? bn.task(pid) : n; },
    ring: (id) => dn.ring(id) ?? bn.ring(id),
    program: s.programs,
  });
  const view = describeWorld(world, names, s.programs);
  return { view, delta, diagram: worldDiagram(view, changedIds(delta)) };
}

/**
 * The trace's names kept up to date step by step at a cost per step that does not
 * grow with the number of tasks (for `explain` on long traces): only the step's
 * own task and fork child are looked at.
 */
export class LiveNames implements DeltaNames {
  private readonly byPid = new Map<number, string>([[1, 'init']]);
  private readonly rings = new Map<number, string>();
  constructor(readonly program: ProgramNamer) {}

  /** Call after each step, before asking for its delta. */
  note(cmd: TraceCommand, names: TraceNames, world: World): void {
    if (cmd.c === 'fork') {
      const child = names.get(cmd.child);
      if (child) this.byPid.set(child.pid, cmd.child);
    }
    if (cmd.c === 'ring') {
      const t = names.get(cmd.task);
      const fd = t?.rings.get(cmd.ring);
      const e = fd === undefined ? undefined : world.tasks.get(t!.pid)?.fds[fd];
      if (e?.kind === 'ring' && !this.rings.has(e.ring)) this.rings.set(e.ring, `${cmd.task}:${cmd.ring}`);
    }
  }

  task(pid: number): string {
    return this.byPid.get(pid) ?? `pid ${pid}`;
  }

  ring(id: number): string | undefined {
    return this.rings.get(id);
  }
}

/** The profile to show a trace under when none is given: the default, or the newest released one its kernels= list names. */
export function defaultProfileFor(t: Trace): ProfileName {
  if (!t.kernels || t.kernels.includes(DEFAULT_PROFILE)) return DEFAULT_PROFILE;
  const ordered = PROFILE_NAMES.filter((p) => t.kernels!.includes(p) && getProfile(p)!.release !== null);
  return ordered[ordered.length - 1] ?? t.kernels[t.kernels.length - 1];
}
