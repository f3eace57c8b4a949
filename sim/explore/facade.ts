// The simulated kernel (the Syscalls facade of sim/syscall/api.ts) as an
// exploration subject. Trace names (tasks, rings) are mapped to pids and fds here,
// as the replayer does; results that are fds are normalised to "fd".

import type { KernelProfile } from '../../model/profile/profiles.ts';
import { OP, opcodeName } from '../../model/abi/opcodes.ts';
import type { Result } from '../../model/errors.ts';
import { createKernel, defaultLoader } from '../syscall/kernel.ts';
import { checkInvariants } from '../check/invariants.ts';
import type { Syscalls } from '../syscall/api.ts';
import { INIT_PID } from '../syscall/api.ts';
import { encodeWorld, internText, type KeyBuf } from '../../model/world/key.ts';
import type { QueueState, World } from '../../model/world/world.ts';
import type { LoadResult, ProgramLoader } from '../../model/filter/program.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { Obs, Step } from './observe.ts';
import type { Subject } from './subject.ts';
import type { Shape } from './universe.ts';

export type CreateKernel = (profile: KernelProfile, opts?: { invariants?: boolean; loader?: ProgramLoader }) => Syscalls;
export type CheckInvariants = (world: unknown, profile: KernelProfile, prev: unknown) => unknown[];

interface TaskNames {
  pid: number;
  alive: boolean;
  uid: number;
  fds: ReadonlyMap<string, number>;
}

export interface FacadeState {
  world: unknown;
  tasks: ReadonlyMap<string, TaskNames>;
  /** Opcode of the last SQE queued with each user_data (to normalise fd results). */
  udOps: ReadonlyMap<bigint, number>;
  /** The task map's part of the key, made with the map (see nameList). */
  list: readonly NameEntry[];
}

const FD_MAKERS = new Set([OP.SOCKET, OP.OPENAT, OP.OPENAT2, OP.ACCEPT]);

export interface FacadeParts {
  createKernel: CreateKernel;
  checkInvariants?: CheckInvariants;
  /** The kernel's own program loader (validate + VM), when the module exports it. */
  defaultLoader?: ProgramLoader;
}

/**
 * The kernel's loader, remembered per instruction array: a universe registers the
 * same few programs over and over, and loading is a pure function of the
 * instructions and the profile (the program it gives is never changed).
 */
function memoLoader(load: ProgramLoader): ProgramLoader {
  const memo = new WeakMap<object, WeakMap<readonly Insn[], LoadResult>>();
  return (insns, profile) => {
    let m = memo.get(profile);
    if (!m) memo.set(profile, (m = new WeakMap()));
    let r = m.get(insns);
    if (!r) m.set(insns, (r = load(insns, profile)));
    return r;
  };
}

/**
 * The kernel model's parts the facade runs on. (Async and a Result since the
 * facade once loaded the kernel by path, before the model existed; it is now
 * imported like any module, which also lets the parallel explorer bundle it.)
 */
export async function loadFacade(): Promise<Result<FacadeParts>> {
  return { ok: true, value: { createKernel, checkInvariants: checkInvariants as unknown as CheckInvariants, defaultLoader } };
}

/** The facade's own part of a state: everything but the world. */
type Names = Omit<FacadeState, 'world'>;

/** (name id, fd) pairs of a task's ring names, sorted by name (a universe gives a task a ring name or two). */
function namedFds(fds: ReadonlyMap<string, number>): number[] {
  const p: number[] = [];
  const names = fds.size > 1 ? [...fds.keys()].sort() : fds.keys();
  for (const name of names) p.push(internText(name), fds.get(name)!);
  return p;
}

/**
 * A task map's part of the key, made once when the map is made and carried with it
 * in the state (a map is shared by every state whose names did not change; a
 * WeakMap from maps to lists cost an insert for every new map, dear in V8).
 */
interface NameEntry { name: number; uid: number; pid: number; fds: number[] }
function nameList(tasks: ReadonlyMap<string, TaskNames>): NameEntry[] {
  const l: NameEntry[] = [];
  for (const [name, t] of tasks) l.push({ name: internText(name), uid: t.uid, pid: t.alive ? t.pid : -1, fds: t.alive ? namedFds(t.fds) : [] });
  return l;
}

/**
 * The canonical key: the task names (in the order they were made), each with its
 * pid's canonical number, uid and ring-name -> fd map; the world with ids
 * renumbered from those pids (model/world/key.ts); and the opcodes remembered for
 * the user_data of requests still in a queue (only those can still be read).
 */
export function encodeFacadeState(s: FacadeState, out: KeyBuf, roots: number[]): void {
  // (roots is reused between keys and only ever grows: shortening an array is a
  // runtime call that showed in profiles, so the count is kept apart.)
  let nRoots = 0;
  const names = s.list;
  out.put(s.tasks.size);
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    out.put(n.name);
    out.put(n.uid);
    if (n.pid < 0) { out.put(-1); continue; }
    out.put(nRoots);
    roots[nRoots++] = n.pid;
    const p = n.fds;
    out.put(p.length);
    for (let j = 0; j < p.length; j++) out.put(p[j]);
  }
  const w = s.world as World;
  encodeWorld(w, roots, out, nRoots);
  if (s.udOps.size === 0 || w.queues === null) { out.put(0); return; }
  const uds: bigint[] = [];
  for (const id of w.rings.keyArray()) {
    const q = w.queues.get(id);
    if (q === undefined) continue;
    for (const e of q.sq) if (s.udOps.has(e.ud)) uds.push(e.ud);
    for (const c of q.cq) if (s.udOps.has(c.userData)) uds.push(c.userData);
  }
  uds.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  out.put(uds.length);
  for (let i = 0; i < uds.length; i++) {
    if (i > 0 && uds[i] === uds[i - 1]) { out.put(-1); continue; }
    out.big(uds[i]);
    out.put(s.udOps.get(uds[i])!);
  }
}

export function facadeSubject(parts: FacadeParts, profile: KernelProfile): Subject<FacadeState> {
  const k = parts.createKernel(profile, { invariants: false, loader: parts.defaultLoader && memoLoader(parts.defaultLoader) });
  const initWorld = k.world;
  /** The world the kernel is at (restoring it again would change nothing). */
  let at: unknown = initWorld;
  const shapes = new WeakMap<ReadonlyMap<string, TaskNames>, Shape>();
  const roots: number[] = [];
  const run = (s: FacadeState, steps: readonly Step[]): { s: FacadeState; obs: Obs[] } => {
    if (s.world !== at) k.restore(s.world);
    let n: Names = s;
    const obs: Obs[] = [];
    for (const step of steps) {
      const r = applyStep(k, n, step);
      n = r.s;
      obs.push(r.obs);
    }
    const w = k.world;
    at = w;
    // Nothing changed (a failed call, a no-op): the same state, which the caller has seen.
    if ((n.tasks === s.tasks && sameUdOps(n.udOps, s.udOps)) && sameWorld(w as World, s.world as World)) {
      // The kernel is at a world equal to s.world (same parts, equal queues): no restore needed.
      at = s.world;
      return { s, obs };
    }
    return { s: { tasks: n.tasks, udOps: n.udOps, list: n.list, world: w }, obs };
  };
  return {
    name: `kernel(${profile.name})`,
    init: () => {
      const tasks = new Map([['init', taskNames(INIT_PID, true, 0, new Map())]]);
      return { world: initWorld, tasks, udOps: new Map(), list: nameList(tasks) };
    },
    apply(s, step) {
      const r = run(s, [step]);
      return { s: r.s, obs: r.obs[0] };
    },
    applyAll: run,
    encode: (s, out) => encodeFacadeState(s, out, roots),
    shape(s) {
      // Most moves leave the names untouched: one shape per task map.
      let sh = shapes.get(s.tasks);
      if (!sh) {
        sh = { tasks: [...s.tasks].map(([name, t]) => ({ name, alive: t.alive, uid: t.uid, rings: [...t.fds.keys()].sort() })) };
        shapes.set(s.tasks, sh);
      }
      return sh;
    },
    check(s, prev) {
      if (!parts.checkInvariants) return [];
      // The invariants read the tasks, rings, filter store and leaked references; a
      // state whose every part but the queues is its parent's own value (only
      // queues or names moved) can break none of them, since the parent passed.
      if (prev && sameControl(s.world as World, prev.world as World)) return NO_VIOLATIONS;
      const v = parts.checkInvariants(s.world, profile, prev?.world ?? null) as ({ kind?: string; message?: string; knownKernelBug?: string } | string)[];
      if (v.length === 0) return NO_VIOLATIONS;
      // A violation the profile's real kernel also has (a known kernel bug) is not the model's.
      return v.filter((x) => typeof x === 'string' || !x.knownKernelBug)
        .map((x) => (typeof x === 'string' ? x : `${x.kind ?? 'invariant'}: ${x.message ?? JSON.stringify(x)}`));
    },
  };
}

/** What check() returns for a sound state: one shared empty list, not a new one per state. */
const NO_VIOLATIONS: string[] = Object.freeze([]) as unknown as string[];

/**
 * The same parts, by identity, for every field of the world but its queues
 * (worlds share every part a call did not change). Written over the world's own
 * fields so that a field the model adds later is compared too.
 */
function sameControl(a: World, b: World): boolean {
  for (const f in a) if (f !== 'queues' && (a as unknown as Record<string, unknown>)[f] !== (b as unknown as Record<string, unknown>)[f]) return false;
  return true;
}

function sameQueue(a: QueueState, b: QueueState): boolean {
  if (a === b) return true;
  if (a.drainDisabled !== b.drainDisabled || a.sq.length !== b.sq.length || a.cq.length !== b.cq.length) return false;
  for (let i = 0; i < a.sq.length; i++) if (a.sq[i] !== b.sq[i]) return false;
  for (let i = 0; i < a.cq.length; i++) {
    const x = a.cq[i], y = b.cq[i];
    if (x.userData !== y.userData || x.res !== y.res || x.flags !== y.flags) return false;
  }
  return true;
}

/** Equal worlds: the same parts, and queues with the same entries. */
export function sameWorld(a: World, b: World): boolean {
  if (a === b) return true;
  if (!sameControl(a, b)) return false;
  if (a.queues === b.queues) return true;
  if (a.queues === null || b.queues === null || a.queues.size !== b.queues.size) return false;
  // Same rings (sameControl), so the same queue ids.
  for (const id of a.rings.keyArray()) {
    const q = a.queues.get(id), p = b.queues.get(id);
    if (q === undefined || p === undefined ? q !== p : !sameQueue(q, p)) return false;
  }
  return true;
}


function sameUdOps(a: ReadonlyMap<bigint, number>, b: ReadonlyMap<bigint, number>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** user_data as observations write it; a universe uses a few values, and bigint to text is slow. */
const udTexts = new Map<bigint, string>();
function udText(ud: bigint): string {
  let t = udTexts.get(ud);
  if (t === undefined) {
    t = ud.toString();
    if (udTexts.size < 4096) udTexts.set(ud, t);
  }
  return t;
}

// Names and TaskNames records are built field by field, never spread (one shape
// each; a spread site that sees several shapes copies ten times slower in V8).
function names(tasks: ReadonlyMap<string, TaskNames>, udOps: ReadonlyMap<bigint, number>, list: readonly NameEntry[] = nameList(tasks)): Names {
  return { tasks, udOps, list };
}

function taskNames(pid: number, alive: boolean, uid: number, fds: ReadonlyMap<string, number>): TaskNames {
  return { pid, alive, uid, fds };
}

/** A command naming a ring the task has no name for. */
function unbound(s: Names, c: Obs['c']): { s: Names; obs: Obs } {
  return { s, obs: { c, unstated: 'unbound ring' } };
}

/** The names with one task's entry replaced. */
function withTask(s: Names, name: string, t: TaskNames): Names {
  return names(setTask(s, name, t), s.udOps);
}

function setTask(s: Names, name: string, t: TaskNames): ReadonlyMap<string, TaskNames> {
  const m = new Map(s.tasks);
  m.set(name, t);
  return m;
}

/** One trace command on the facade, with the names kept alongside. */
function applyStep(k: Syscalls, s: Names, step: Step): { s: Names; obs: Obs } {
  const b = step.body;
  const t = s.tasks.get(step.task);
  if (!t || !t.alive) return { s, obs: { c: b.c, unstated: `no live task ${step.task}` } };
  // (No closures here: this runs for every step, and the tsx transform names each one.)
  const fds = t.fds;
  switch (b.c) {
    case 'ring': {
      const fd = k.setup(t.pid, b.entries, b.flags);
      if (fd < 0) return { s, obs: { c: 'ring', ret: fd } };
      const more = new Map(t.fds);
      more.set(b.ring, fd);
      return { s: withTask(s, step.task, taskNames(t.pid, t.alive, t.uid, more)), obs: { c: 'ring', ret: 0 } };
    }
    case 'close': {
      const fd = fds.get(b.ring);
      if (fd === undefined) return unbound(s, b.c);
      const ret = k.close(t.pid, fd);
      const left = new Map(t.fds);
      left.delete(b.ring);
      return { s: withTask(s, step.task, taskNames(t.pid, t.alive, t.uid, left)), obs: { c: 'close', ret } };
    }
    case 'restrict': {
      const fd = b.target.kind === 'task' ? -1 : fds.get(b.target.ring);
      if (fd === undefined) return unbound(s, b.c);
      return { s, obs: { c: 'restrict', ret: k.registerRestrictions(t.pid, fd, b.entries) } };
    }
    case 'enable': {
      const fd = fds.get(b.ring);
      if (fd === undefined) return unbound(s, b.c);
      return { s, obs: { c: 'enable', ret: k.enableRings(t.pid, fd) } };
    }
    case 'register': {
      const fd = fds.get(b.ring);
      if (fd === undefined) return unbound(s, b.c);
      return { s, obs: { c: 'register', ret: k.register(t.pid, fd, b.op) } };
    }
    case 'bpf': {
      const fd = b.target.kind === 'task' ? -1 : fds.get(b.target.ring);
      if (fd === undefined) return unbound(s, b.c);
      const r = k.registerBpf(t.pid, fd, { opcode: b.op, flags: b.flags, pdu: b.pdu, insns: b.insns, raw: b.raw });
      const obs: Obs = { c: 'bpf', ret: r.ret };
      if (r.pdu !== undefined) obs.pdu = r.pdu;
      return { s, obs };
    }
    case 'sqe': {
      const fd = fds.get(b.ring);
      if (fd === undefined) return unbound(s, b.c);
      const q = k.queueSqe(t.pid, fd, b.sqe);
      // The map is a value: copy it only when this user_data's opcode changes.
      let udOps = s.udOps;
      if (udOps.get(b.sqe.ud) !== b.sqe.opcode) {
        const m = new Map(udOps);
        m.set(b.sqe.ud, b.sqe.opcode);
        udOps = m;
      }
      return { s: names(s.tasks, udOps, s.list), obs: { c: 'sqe', queued: q, op: opcodeName(b.sqe.opcode), ud: udText(b.sqe.ud) } };
    }
    case 'submit': {
      const fd = fds.get(b.ring);
      if (fd === undefined) return unbound(s, b.c);
      const r = k.enter(t.pid, fd);
      return { s, obs: { c: 'submit', ret: r.ret, left: r.left } };
    }
    case 'cqes': {
      const fd = fds.get(b.ring);
      if (fd === undefined) return unbound(s, b.c);
      const r = k.reapCqes(t.pid, fd);
      if (typeof r === 'number') return { s, obs: { c: 'cqes', ret: r } };
      const cqes = r.map((c): [string, number | 'fd', number] => {
        const op = s.udOps.get(c.userData);
        return [udText(c.userData), c.res >= 0 && op !== undefined && FD_MAKERS.has(op) ? 'fd' : c.res, c.flags];
      });
      return { s, obs: { c: 'cqes', cqes } };
    }
    case 'nnp':
      return { s, obs: { c: 'nnp', ret: k.setNoNewPrivs(t.pid) } };
    case 'setuid': {
      const ret = k.setresuid(t.pid, b.uid);
      const s2 = ret === 0 ? withTask(s, step.task, taskNames(t.pid, t.alive, b.uid, t.fds)) : s;
      return { s: s2, obs: { c: 'setuid', ret } };
    }
    case 'fork': {
      const r = k.fork(t.pid);
      if (r.ret < 0 || r.child === undefined) return { s, obs: { c: 'fork', ret: r.ret } };
      const tasks = new Map(s.tasks);
      tasks.set(b.child, taskNames(r.child, true, t.uid, t.fds));
      return { s: names(tasks, s.udOps), obs: { c: 'fork', ret: r.ret } };
    }
    case 'exit': {
      const ret = k.exit(t.pid);
      return { s: withTask(s, step.task, taskNames(t.pid, false, t.uid, new Map())), obs: { c: 'exit', ret } };
    }
  }
}
