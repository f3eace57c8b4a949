// The simulated kernel (the Syscalls facade of sim/syscall/api.ts) as an
// exploration subject. Trace names (tasks, rings) are mapped to pids and fds here,
// as the replayer does; results that are fds are normalised to "fd".

import type { KernelProfile } from '../../model/profile/profiles.ts';
import { OP, opcodeName } from '../../model/abi/opcodes.ts';
import { rfError, type Result } from '../../model/errors.ts';
import type { Syscalls } from '../syscall/api.ts';
import { INIT_PID } from '../syscall/api.ts';
import type { Obs, Step } from './observe.ts';
import type { Subject } from './subject.ts';

export type CreateKernel = (profile: KernelProfile, opts?: { invariants?: boolean }) => Syscalls;
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
}

const FD_MAKERS = new Set([OP.SOCKET, OP.OPENAT, OP.OPENAT2, OP.ACCEPT]);

// Loaded by path so that exploration builds before (and without) the kernel model.
const KERNEL_MODULE = '../syscall/kernel.ts';
const INVARIANTS_MODULE = '../check/invariants.ts';

export interface FacadeParts {
  createKernel: CreateKernel;
  checkInvariants?: CheckInvariants;
}

export async function loadFacade(): Promise<Result<FacadeParts>> {
  let createKernel: CreateKernel;
  try {
    createKernel = ((await import(KERNEL_MODULE)) as { createKernel: CreateKernel }).createKernel;
  } catch (e) {
    return { ok: false, error: rfError('internal', `the kernel model (sim/syscall/kernel.ts) cannot be loaded: ${(e as Error).message}`) };
  }
  let checkInvariants: CheckInvariants | undefined;
  try {
    checkInvariants = ((await import(INVARIANTS_MODULE)) as { checkInvariants: CheckInvariants }).checkInvariants;
  } catch {
    checkInvariants = undefined;
  }
  return { ok: true, value: { createKernel, checkInvariants } };
}

/** Fields derived from others (a filter node's compiled program comes from its insns). */
const DERIVED = new Set(['program']);

/** A stable text for any immutable value (Maps, Sets, bigints, typed arrays), memoised by identity. */
export function structuralKey(v: unknown, memo: WeakMap<object, string>): string {
  if (v === null || v === undefined) return String(v);
  switch (typeof v) {
    case 'bigint': return `${v}n`;
    case 'string': return JSON.stringify(v);
    case 'number': case 'boolean': return String(v);
    case 'function': return 'fn';
    case 'object': break;
    default: return String(v);
  }
  const o = v as object;
  const hit = memo.get(o);
  if (hit !== undefined) return hit;
  let s: string;
  if (Array.isArray(o)) {
    // Sparse trie nodes are mostly holes: write only the defined entries, with their index.
    s = '[';
    for (let i = 0; i < o.length; i++) if (o[i] !== undefined) s += i + '=' + structuralKey(o[i], memo) + ',';
    s += ']';
  }
  else if (o instanceof Map) s = 'M{' + [...o].map(([k, x]) => structuralKey(k, memo) + ':' + structuralKey(x, memo)).sort().join(',') + '}';
  else if (o instanceof Set) s = 'S{' + [...o].map((x) => structuralKey(x, memo)).sort().join(',') + '}';
  else if (ArrayBuffer.isView(o)) s = 'B' + Array.from(o as Uint8Array).join('.');
  else s = '{' + Object.keys(o).sort().filter((k) => !DERIVED.has(k)).map((k) => k + ':' + structuralKey((o as Record<string, unknown>)[k], memo)).join(',') + '}';
  memo.set(o, s);
  return s;
}

export function facadeSubject(parts: FacadeParts, profile: KernelProfile): Subject<FacadeState> {
  const k = parts.createKernel(profile, { invariants: false });
  const memo = new WeakMap<object, string>();
  const initWorld = k.world;
  return {
    name: `kernel(${profile.name})`,
    init: () => ({ world: initWorld, tasks: new Map([['init', { pid: INIT_PID, alive: true, uid: 0, fds: new Map() }]]), udOps: new Map() }),
    apply(s, step) {
      k.restore(s.world);
      const r = applyStep(k, s, step);
      return { s: { ...r.s, world: k.world }, obs: r.obs };
    },
    key: (s) => structuralKey(s.world, memo) + '#' + structuralKey(s.tasks, memo),
    shape: (s) => ({
      tasks: [...s.tasks].map(([name, t]) => ({ name, alive: t.alive, uid: t.uid, rings: [...t.fds.keys()].sort() })),
    }),
    check(s, prev) {
      if (!parts.checkInvariants) return [];
      const v = parts.checkInvariants(s.world, profile, prev?.world ?? null) as ({ kind?: string; message?: string; knownKernelBug?: string } | string)[];
      // A violation the profile's real kernel also has (a known kernel bug) is not the model's.
      return v.filter((x) => typeof x === 'string' || !x.knownKernelBug)
        .map((x) => (typeof x === 'string' ? x : `${x.kind ?? 'invariant'}: ${x.message ?? JSON.stringify(x)}`));
    },
  };
}

function setTask(s: FacadeState, name: string, t: TaskNames): ReadonlyMap<string, TaskNames> {
  const m = new Map(s.tasks);
  m.set(name, t);
  return m;
}

/** One trace command on the facade, with the names kept alongside. */
function applyStep(k: Syscalls, s: FacadeState, step: Step): { s: FacadeState; obs: Obs } {
  const b = step.body;
  const t = s.tasks.get(step.task);
  if (!t || !t.alive) return { s, obs: { c: b.c, unstated: `no live task ${step.task}` } };
  const fdOf = (ring: string) => t.fds.get(ring);
  const unbound = { s, obs: { c: b.c, unstated: 'unbound ring' } as Obs };
  switch (b.c) {
    case 'ring': {
      const fd = k.setup(t.pid, b.entries, b.flags);
      if (fd < 0) return { s, obs: { c: 'ring', ret: fd } };
      const fds = new Map(t.fds);
      fds.set(b.ring, fd);
      return { s: { ...s, tasks: setTask(s, step.task, { ...t, fds }) }, obs: { c: 'ring', ret: 0 } };
    }
    case 'close': {
      const fd = fdOf(b.ring);
      if (fd === undefined) return unbound;
      const ret = k.close(t.pid, fd);
      const fds = new Map(t.fds);
      fds.delete(b.ring);
      return { s: { ...s, tasks: setTask(s, step.task, { ...t, fds }) }, obs: { c: 'close', ret } };
    }
    case 'restrict': {
      const fd = b.target.kind === 'task' ? -1 : fdOf(b.target.ring);
      if (fd === undefined) return unbound;
      return { s, obs: { c: 'restrict', ret: k.registerRestrictions(t.pid, fd, b.entries) } };
    }
    case 'enable': {
      const fd = fdOf(b.ring);
      if (fd === undefined) return unbound;
      return { s, obs: { c: 'enable', ret: k.enableRings(t.pid, fd) } };
    }
    case 'register': {
      const fd = fdOf(b.ring);
      if (fd === undefined) return unbound;
      return { s, obs: { c: 'register', ret: k.register(t.pid, fd, b.op) } };
    }
    case 'bpf': {
      const fd = b.target.kind === 'task' ? -1 : fdOf(b.target.ring);
      if (fd === undefined) return unbound;
      const r = k.registerBpf(t.pid, fd, { opcode: b.op, flags: b.flags, pdu: b.pdu, insns: b.insns, raw: b.raw });
      const obs: Obs = { c: 'bpf', ret: r.ret };
      if (r.pdu !== undefined) obs.pdu = r.pdu;
      return { s, obs };
    }
    case 'sqe': {
      const fd = fdOf(b.ring);
      if (fd === undefined) return unbound;
      const q = k.queueSqe(t.pid, fd, b.sqe);
      const udOps = new Map(s.udOps);
      udOps.set(b.sqe.ud, b.sqe.opcode);
      return { s: { ...s, udOps }, obs: { c: 'sqe', queued: q, op: opcodeName(b.sqe.opcode), ud: b.sqe.ud.toString() } };
    }
    case 'submit': {
      const fd = fdOf(b.ring);
      if (fd === undefined) return unbound;
      const r = k.enter(t.pid, fd);
      return { s, obs: { c: 'submit', ret: r.ret, left: r.left } };
    }
    case 'cqes': {
      const fd = fdOf(b.ring);
      if (fd === undefined) return unbound;
      const r = k.reapCqes(t.pid, fd);
      if (typeof r === 'number') return { s, obs: { c: 'cqes', ret: r } };
      const cqes = r.map((c): [string, number | 'fd', number] => {
        const op = s.udOps.get(c.userData);
        return [c.userData.toString(), c.res >= 0 && op !== undefined && FD_MAKERS.has(op) ? 'fd' : c.res, c.flags];
      });
      return { s, obs: { c: 'cqes', cqes } };
    }
    case 'nnp':
      return { s, obs: { c: 'nnp', ret: k.setNoNewPrivs(t.pid) } };
    case 'setuid': {
      const ret = k.setresuid(t.pid, b.uid);
      const s2 = ret === 0 ? { ...s, tasks: setTask(s, step.task, { ...t, uid: b.uid }) } : s;
      return { s: s2, obs: { c: 'setuid', ret } };
    }
    case 'fork': {
      const r = k.fork(t.pid);
      if (r.ret < 0 || r.child === undefined) return { s, obs: { c: 'fork', ret: r.ret } };
      const tasks = new Map(s.tasks);
      tasks.set(b.child, { pid: r.child, alive: true, uid: t.uid, fds: t.fds });
      return { s: { ...s, tasks }, obs: { c: 'fork', ret: r.ret } };
    }
    case 'exit': {
      const ret = k.exit(t.pid);
      return { s: { ...s, tasks: setTask(s, step.task, { ...t, alive: false, fds: new Map() }) }, obs: { c: 'exit', ret } };
    }
  }
}
