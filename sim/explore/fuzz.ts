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
}

export interface Sides {
  ref: Subject<World>;
  kernel: Subject<FacadeState>;
  universe: Universe;
}

const TASKS = 3;
const RINGS = 2;

/** A command of the alphabet, resolved against the model when it runs. */
class Cmd implements fc.Command<Model, Real> {
  constructor(private readonly sides: Sides, private readonly make: (m: Model) => Step | Step[] | null, private readonly label: string) {}
  check(m: Model): boolean {
    return this.make(m) !== null;
  }
  run(m: Model, r: Real): void {
    const made = this.make(m)!;
    for (const step of Array.isArray(made) ? made : [made]) this.one(m, r, step);
    // sqe user_data comes from this counter so every request is distinct.
    m.nextUd++;
  }
  private one(m: Model, r: Real, step: Step): void {
    const { ref, kernel } = this.sides;
    const a = ref.apply(m.ref, step);
    const prevK = r.s;
    const b = kernel.apply(r.s, step);
    m.ref = a.s;
    r.s = b.s;
    m.steps.push(step);
    m.obs.push(b.obs);
    const d = obsDiff(b.obs, a.obs);
    if (d.length) throw new Error(`after ${m.steps.length} commands the kernel shows ${obsKey(b.obs)} but the reference ${obsKey(a.obs)}`);
    const bad = kernel.check(r.s, prevK);
    if (bad.length) throw new Error(`after ${m.steps.length} commands an invariant fails: ${bad.join('; ')}`);
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

export function makeSides(parts: FacadeParts, profile: KernelProfile): Sides {
  return {
    ref: referenceSubject(profile),
    kernel: facadeSubject(parts, profile),
    universe: new Universe(DEFAULT_UNIVERSE, profile),
  };
}

/** The property: any sequence runs with the kernel and the reference in agreement. */
export function modelProperty(sides: Sides, maxCommands: number) {
  return fc.property(fc.commands(commandArbs(sides), { maxCommands, size: 'max' }), (cmds) => {
    const m: Model = { ref: sides.ref.init(), steps: [], obs: [], nextUd: 0 };
    const r: Real = { s: sides.kernel.init() };
    fc.modelRun(() => ({ model: m, real: r }), cmds);
  });
}

/** Re-run a failing command list to get its steps, and print them as a v1 trace. */
export function counterexampleTrace(sides: Sides, cmds: Iterable<fc.Command<Model, Real>>, profile: KernelProfile, error: string): string {
  const m: Model = { ref: sides.ref.init(), steps: [], obs: [], nextUd: 0 };
  const r: Real = { s: sides.kernel.init() };
  for (const c of cmds) {
    if (!c.check(m)) continue;
    try { c.run(m, r); } catch { break; }
  }
  return toTraceText(m.steps, {
    name: 'counterexample', kernels: [profile.name], header: ['ringfence fuzz: the kernel model and the reference model disagree', error],
    expect: m.obs,
    programText: (n) => { const p = sides.universe.programFor(n); return p && p.asm.length ? p.asm : undefined; },
  });
}

/** Run the property; on failure return the shrunk counterexample as a trace. */
export function fuzzOnce(sides: Sides, profile: KernelProfile, opts: { numRuns: number; maxCommands: number; seed?: number; timeLimitMs?: number }):
  { ok: true; runs: number } | { ok: false; runs: number; trace: string; error: string; seed: number } {
  const r = fc.check(modelProperty(sides, opts.maxCommands), {
    numRuns: opts.numRuns, seed: opts.seed, interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false,
  });
  if (!r.failed) return { ok: true, runs: r.numRuns };
  const error = String((r.errorInstance as Error | undefined)?.message ?? 'failure').split('\n')[0];
  const cmds = r.counterexample?.[0] as Iterable<fc.Command<Model, Real>> | undefined;
  return { ok: false, runs: r.numRuns, error, seed: r.seed, trace: cmds ? counterexampleTrace(sides, cmds, profile, error) : '' };
}
