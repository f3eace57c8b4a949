// Model-based testing with fast-check: random command sequences are run on the
// simulated kernel and on the reference model side by side; after every command
// their observations must agree and the kernel's invariants must hold. A failing
// sequence shrinks, and prints as a v1 trace.

import fc from 'fast-check';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { FILTER_FLAGS, SETUP_FLAGS, SQE_FLAGS } from '../../model/abi/flags.ts';
import type { CommandBody, Target } from '../trace/ast.ts';
import { facadeSubject, type FacadeParts, type FacadeState } from './facade.ts';
import { obsDiff, obsKey, type Obs, type Step } from './observe.ts';
import { toTraceText } from './print.ts';
import { parseTraceFile } from '../trace/parse.ts';
import { replayPassed, replayTrace } from '../trace/replay.ts';
import { violationsSince } from '../trace/kernel-link.ts';
import { referenceSubject } from './reference/subject.ts';
import type { World } from './reference/state.ts';
import type { Subject } from './subject.ts';
import { Universe, DEFAULT_UNIVERSE, ioSqe } from './universe.ts';

export interface Model {
  ref: World;
  steps: Step[];
  obs: Obs[];
  nextUd: number;
}

export interface Real {
  s: FacadeState;
  /**
   * The kernel subject this run steps. It lives in the run's own value, not in the
   * commands: fast-check keeps command objects across runs and shrinks, and a
   * replay of a counterexample must be able to run the same commands on a fresh
   * kernel.
   */
  kernel: Subject<FacadeState>;
}

export interface Sides {
  ref: Subject<World>;
  kernel: Subject<FacadeState>;
  universe: Universe;
  /** What the sides were made from, so a counterexample can be re-run on fresh ones. */
  parts: FacadeParts;
  profile: KernelProfile;
  /** The profile the kernel side runs (the reference's, unless a fault is injected). */
  kernelProfile: KernelProfile;
  faults?: Faults;
}

/**
 * Fault injection for tests of the fuzzer itself: the kernel side runs a profile
 * with these fields changed while the reference keeps the real one, so the kernel
 * model behaves as if it had a bug (e.g. `cloneMarksSourceCow: false` on 7.3: the
 * source of a clone is not marked COW). Never set by the command line.
 */
export interface Faults {
  kernelProfile?: Partial<KernelProfile>;
}

const TASKS = 3;
const RINGS = 2;

/** How a step went wrong: the kernel and the reference disagree, or an invariant broke. */
export interface StepFailure {
  kind: 'mismatch' | 'invariant';
  message: string;
  /** The reference's observation (what the kernel should have shown). */
  expected: Obs;
}

/** One step on both sides; the failure, if any (nothing is thrown here). */
function stepBoth(m: Model, r: Real, ref: Subject<World>, step: Step): StepFailure | null {
  const a = ref.apply(m.ref, step);
  const prevK = r.s;
  const b = r.kernel.apply(r.s, step);
  m.ref = a.s;
  r.s = b.s;
  m.steps.push(step);
  m.obs.push(b.obs);
  const d = obsDiff(b.obs, a.obs);
  if (d.length) return { kind: 'mismatch', expected: a.obs, message: `after ${m.steps.length} commands the kernel shows ${obsKey(b.obs)} but the reference ${obsKey(a.obs)}` };
  const bad = r.kernel.check(r.s, prevK);
  if (bad.length) return { kind: 'invariant', expected: a.obs, message: `after ${m.steps.length} commands an invariant fails: ${bad.join('; ')}` };
  return null;
}

/** A command of the alphabet, resolved against the model when it runs. */
class Cmd implements fc.Command<Model, Real> {
  constructor(private readonly sides: Sides, private readonly make: (m: Model) => Step | Step[] | null, private readonly label: string) {}
  check(m: Model): boolean {
    return this.make(m) !== null;
  }
  run(m: Model, r: Real): void {
    const f = this.runSteps(m, r);
    if (f) throw new Error(f.message);
  }
  /** Run the command's steps until one fails; the failure, or null. */
  runSteps(m: Model, r: Real): StepFailure | null {
    const made = this.make(m)!;
    let f: StepFailure | null = null;
    for (const step of Array.isArray(made) ? made : [made]) if ((f = stepBoth(m, r, this.sides.ref, step))) break;
    // sqe user_data comes from this counter so every request is distinct.
    m.nextUd++;
    return f;
  }
  toString(): string {
    return this.label;
  }
}

function liveTasks(m: Model, sides: Sides): string[] {
  return sides.ref.shape(m.ref).tasks.filter((t) => t.alive).map((t) => t.name);
}

function ringsOf(m: Model, sides: Sides, task: string): string[] {
  return sides.ref.shape(m.ref).tasks.find((t) => t.name === task)?.rings ?? [];
}

/** The arbitraries of every command kind. */
export function commandArbs(sides: Sides): fc.Arbitrary<fc.Command<Model, Real>>[] {
  const task = fc.nat(TASKS - 1);
  const ring = fc.nat(RINGS - 1);
  const pick = (m: Model, ti: number) => { const ts = liveTasks(m, sides); return ts.length ? ts[ti % ts.length] : null; };
  const withRing = (m: Model, ti: number, ri: number, f: (t: string, r: string) => CommandBody): Step | null => {
    const t = pick(m, ti);
    if (!t) return null;
    const rs = ringsOf(m, sides, t);
    if (!rs.length) return null;
    return { task: t, body: f(t, rs[ri % rs.length]) };
  };
  const target = (m: Model, t: string, k: number): Target | null => {
    if (k === 0) return { kind: 'task' };
    const rs = ringsOf(m, sides, t);
    return rs.length ? { kind: 'ring', ring: rs[(k - 1) % rs.length] } : null;
  };
  const u = sides.universe;
  const ops = u.spec.opcodes;
  const c = (label: string, make: (m: Model) => Step | Step[] | null) => new Cmd(sides, make, label);
  const sqeArb = fc.tuple(task, ring, fc.nat(ops.length - 1), fc.nat(1), fc.constantFrom(0, 0, SQE_FLAGS.IO_LINK, SQE_FLAGS.CQE_SKIP_SUCCESS, SQE_FLAGS.IO_HARDLINK));
  const sqeBody = (m: Model, r: string, oi: number, arg: number, flags: number): CommandBody => {
    const sqe = ioSqe(ops[oi], arg as 0 | 1);
    sqe.ud = BigInt(2 * m.nextUd + arg);
    sqe.flags = flags;
    return { c: 'sqe', ring: r, sqe };
  };
  return [
    fc.tuple(task, fc.boolean(), fc.boolean()).map(([ti, dis, all]) => c(`ring`, (m) => {
      const t = pick(m, ti);
      if (!t) return null;
      const free = ['r0', 'r1'].find((n) => !ringsOf(m, sides, t).includes(n));
      return free ? { task: t, body: { c: 'ring', ring: free, entries: 8, flags: (dis ? SETUP_FLAGS.R_DISABLED : 0) | (all ? SETUP_FLAGS.SUBMIT_ALL : 0) } } : null;
    })),
    fc.tuple(task, ring).map(([ti, ri]) => c('enable', (m) => withRing(m, ti, ri, (_, r) => ({ c: 'enable', ring: r })))),
    fc.tuple(task, ring).map(([ti, ri]) => c('register PROBE', (m) => withRing(m, ti, ri, (_, r) => ({ c: 'register', ring: r, op: 8 })))),
    fc.tuple(task, ring).map(([ti, ri]) => c('close', (m) => withRing(m, ti, ri, (_, r) => ({ c: 'close', ring: r })))),
    fc.tuple(task, fc.nat(RINGS), fc.subarray([
      { type: 1, value: OP.NOP }, { type: 1, value: OP.SOCKET }, { type: 0, value: 8 }, { type: 0, value: 12 }, { type: 0, value: 37 },
      { type: 2, value: SQE_FLAGS.IO_LINK }, { type: 3, value: SQE_FLAGS.CQE_SKIP_SUCCESS },
    ])).map(([ti, k, entries]) => c('restrict', (m) => {
      const t = pick(m, ti);
      const tg = t && target(m, t, k);
      return t && tg ? { task: t, body: { c: 'restrict', target: tg, entries } } : null;
    })),
    fc.tuple(task, fc.nat(RINGS), fc.nat(ops.length - 1), fc.nat(2), fc.boolean()).map(([ti, k, oi, pi, denyRest]) => c('bpf', (m) => {
      const t = pick(m, ti);
      const tg = t && target(m, t, k);
      if (!t || !tg) return null;
      const prog = u.programs[oi][pi % u.programs[oi].length];
      return { task: t, body: { c: 'bpf', target: tg, op: ops[oi], flags: denyRest ? FILTER_FLAGS.DENY_REST : 0, pdu: null, program: prog.name, insns: prog.insns, raw: {} } };
    })),
    sqeArb.map(([ti, ri, oi, arg, flags]) => c('sqe', (m) => withRing(m, ti, ri, (_, r) => sqeBody(m, r, oi, arg, flags)))),
    // io: queue, submit and reap at once, so completions are seen often.
    ...[0, 1].map(() => sqeArb.map(([ti, ri, oi, arg, flags]) => c('io', (m) => {
      const s = withRing(m, ti, ri, (_, r) => sqeBody(m, r, oi, arg, flags));
      if (!s) return null;
      const r = (s.body as { ring: string }).ring;
      return [s, { task: s.task, body: { c: 'submit', ring: r } }, { task: s.task, body: { c: 'cqes', ring: r } }];
    }))),
    fc.tuple(task, ring).map(([ti, ri]) => c('submit', (m) => withRing(m, ti, ri, (_, r) => ({ c: 'submit', ring: r })))),
    fc.tuple(task, ring).map(([ti, ri]) => c('cqes', (m) => withRing(m, ti, ri, (_, r) => ({ c: 'cqes', ring: r })))),
    task.map((ti) => c('nnp', (m) => { const t = pick(m, ti); return t ? { task: t, body: { c: 'nnp' } } : null; })),
    task.map((ti) => c('setuid', (m) => { const t = pick(m, ti); return t ? { task: t, body: { c: 'setuid', uid: 65534 } } : null; })),
    task.map((ti) => c('fork', (m) => {
      const t = pick(m, ti);
      const n = sides.ref.shape(m.ref).tasks.length;
      return t && n < TASKS ? { task: t, body: { c: 'fork', child: `t${n}` } } : null;
    })),
    task.map((ti) => c('exit', (m) => { const t = pick(m, ti); return t && t !== 'init' ? { task: t, body: { c: 'exit' } } : null; })),
  ];
}

export function makeSides(parts: FacadeParts, profile: KernelProfile, faults?: Faults): Sides {
  const kernelProfile: KernelProfile = faults?.kernelProfile ? { ...profile, ...faults.kernelProfile } : profile;
  return {
    ref: referenceSubject(profile),
    kernel: facadeSubject(parts, kernelProfile),
    universe: new Universe(DEFAULT_UNIVERSE, profile),
    parts, profile, kernelProfile, faults,
  };
}

/** Sides made anew from what `sides` was made of: no state shared with any earlier run. */
export function freshSides(sides: Sides): Sides {
  return makeSides(sides.parts, sides.profile, sides.faults);
}

/** A run's starting values: the initial worlds, and the kernel subject the run steps. */
export function startRun(sides: Sides): { model: Model; real: Real } {
  return { model: { ref: sides.ref.init(), steps: [], obs: [], nextUd: 0 }, real: { s: sides.kernel.init(), kernel: sides.kernel } };
}

/** The property: any sequence runs with the kernel and the reference in agreement. */
export function modelProperty(sides: Sides, maxCommands: number) {
  return fc.property(fc.commands(commandArbs(sides), { maxCommands, size: 'max' }), (cmds) => {
    fc.modelRun(() => startRun(sides), cmds);
  });
}

/** What a command list does on some sides: the steps, the kernel's observations, and the first failure. */
export interface Recorded {
  steps: Step[];
  obs: Obs[];
  failure?: StepFailure;
}

/**
 * Run a command list on `sides` as fc.modelRun would (a command whose check fails
 * is skipped), stopping at the first failing step.
 */
export function recordCommands(sides: Sides, cmds: Iterable<fc.Command<Model, Real>>): Recorded {
  const { model: m, real: r } = startRun(sides);
  for (const c of cmds) {
    // fc.commands hands out its commands wrapped (to mark which ones ran).
    const cmd = c instanceof Cmd ? c : (c as { cmd?: unknown }).cmd;
    if (!(cmd instanceof Cmd)) throw new Error('recordCommands: not a command of commandArbs');
    if (!cmd.check(m)) continue;
    const f = cmd.runSteps(m, r);
    if (f) return { steps: m.steps, obs: m.obs, failure: f };
  }
  return { steps: m.steps, obs: m.obs };
}

/**
 * A failing run as a v1 trace, cut at the failing step. Every step before it
 * expects what both sides showed; the failing step expects the reference's
 * answer for a disagreement (so the kernel model's replay fails there) and the
 * kernel's own answer for a broken invariant (the replay's invariant check fails).
 */
export function counterexampleText(sides: Sides, rec: Recorded & { failure: StepFailure }): string {
  const n = rec.steps.length;
  const expect = rec.obs.slice(0, n);
  if (rec.failure.kind === 'mismatch') expect[n - 1] = rec.failure.expected;
  return toTraceText(rec.steps, {
    name: 'counterexample', kernels: [sides.profile.name],
    header: [`ringfence fuzz: ${rec.failure.kind === 'mismatch' ? 'the kernel model and the reference model disagree' : 'an invariant of the kernel model fails'}`, rec.failure.message],
    expect,
    programText: (name) => { const p = sides.universe.programFor(name); return p && p.asm.length ? p.asm : undefined; },
  });
}

/** How a printed counterexample replays on the kernel side's model: it must not pass. */
export function replayCounterexample(sides: Sides, text: string): { passed: boolean; detail: string } {
  const parsed = parseTraceFile('counterexample.trace', text);
  if (!parsed.ok) return { passed: true, detail: `the printed trace does not parse: ${parsed.error.map((e) => e.message).join('; ')}` };
  const create = sides.parts.createKernel;
  const r = replayTrace(parsed.value.traces[0], sides.kernelProfile, { createKernel: (p) => create(p, { invariants: true }), invariants: violationsSince() });
  if (r.violation) return { passed: false, detail: `invariant: ${r.violation.message}` };
  if (r.failure) return { passed: false, detail: `expected ${r.failure.expected}, got ${r.failure.actual}` };
  return { passed: replayPassed(r), detail: r.error ? r.error.message : 'passes' };
}

export type FuzzResult =
  | { ok: true; runs: number }
  | {
    ok: false; runs: number; seed: number; error: string;
    /** The trace, cut at the failing step ('' when the failure did not reproduce). */
    trace: string;
    /**
     * 'replays': the failure reproduced on fresh sides and the printed trace fails
     * when replayed; 'unexpressed': it reproduced but the difference is in a field
     * no `=>` expectation states (CQE flags), so the trace replays as a pass;
     * 'not-reproduced': fresh sides do not fail on the same commands, so state
     * leaked between runs: a bug of the tool, not of the model.
     */
    status: 'replays' | 'unexpressed' | 'not-reproduced';
    detail: string;
  };

/** Run the property; on failure re-run the shrunk counterexample on fresh sides and return it as a trace. */
export function fuzzOnce(sides: Sides, _profile: KernelProfile, opts: { numRuns: number; maxCommands: number; seed?: number; timeLimitMs?: number }): FuzzResult {
  const r = fc.check(modelProperty(sides, opts.maxCommands), {
    numRuns: opts.numRuns, seed: opts.seed, interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false,
  });
  if (!r.failed) return { ok: true, runs: r.numRuns };
  const error = String((r.errorInstance as Error | undefined)?.message ?? 'failure').split('\n')[0];
  const cmds = r.counterexample?.[0] as Iterable<fc.Command<Model, Real>> | undefined;
  const base = { ok: false as const, runs: r.numRuns, seed: r.seed, error };
  if (!cmds) return { ...base, trace: '', status: 'not-reproduced', detail: 'fast-check gave no counterexample' };
  const rec = recordCommands(freshSides(sides), cmds);
  if (!rec.failure) return { ...base, trace: '', status: 'not-reproduced', detail: 'the shrunk command list runs clean on a fresh kernel and reference' };
  const trace = counterexampleText(sides, rec as Recorded & { failure: StepFailure });
  const v = replayCounterexample(sides, trace);
  return { ...base, error: rec.failure.message, trace, status: v.passed ? 'unexpressed' : 'replays', detail: v.detail };
}
