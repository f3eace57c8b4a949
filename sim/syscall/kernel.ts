// The simulated kernel behind the Syscalls facade (sim/syscall/api.ts).
//
// State is split in two:
// - the World (model/world): an immutable value holding tasks, rings, restriction
//   sets, filter tables and the file system. Control-plane calls replace it with a
//   new value that shares everything untouched (persistent maps);
// - per-ring runtime queues (SQ, CQ, drain_disabled): plain mutable arrays here,
//   so queueSqe/enter/reapCqes allocate only what they produce (SQE entries, CQEs)
//   and never copy the world.
// Branching still works: reading `world` returns a value that carries a frozen
// snapshot of the queues (taken only when they changed since the last read, so
// O(pending entries)), and `restore(world)` rebuilds the runtime queues from it.

import { ERRNO } from '../../model/abi/errno.ts';
import { SETUP_FLAGS } from '../../model/abi/flags.ts';
import { IntMap } from '../../model/pmap/intmap.ts';
import { copyOf } from '../../model/pmap/copy.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import type { ProgramLoader } from '../../model/filter/program.ts';
import { validate } from '../../model/bpf/index.ts';
import type { Cqe, Sqe } from '../../model/ring/sqe.ts';
import { initialWorld, makeWorld, type QueueState, type World } from '../../model/world/world.ts';
import type { BpfRegistration, Pid, Syscalls } from './api.ts';
import type { RestrictionEntry, SqeSpec } from './requests.ts';
import * as C from './control.ts';
import { submitAll, type RingRuntime, type SubmitContext } from './submit.ts';
import type { InvariantViolation } from '../check/invariants.ts';
import { IncrementalInvariants } from '../check/incremental.ts';
import { opcodeName } from '../../model/abi/opcodes.ts';

export type { World } from '../../model/world/world.ts';

const EBUSY = -ERRNO.EBUSY;

export interface KernelOptions {
  /** Check the invariants after every call (sim/check/invariants.ts); violations collect in `violations`. */
  invariants?: boolean;
  /** How programs are validated and loaded (default: model/bpf's validate). */
  loader?: ProgramLoader;
}

export interface Kernel extends Syscalls<World> {
  /** Invariant violations seen so far (only with `invariants: true`), each with its step. */
  readonly violations: readonly InvariantViolation[];
  /** Calls made so far (the step number violations refer to). */
  readonly steps: number;
  /** Opcodes that were issued although the model has no result for them (completed with -EOPNOTSUPP). */
  readonly unmodelled: ReadonlySet<string>;
}

/** The default loader: the kernel's checks and the VM from model/bpf. */
export const defaultLoader: ProgramLoader = (insns, profile) => {
  const v = validate(insns, profile);
  return v.ok ? { ok: true, program: v.program } : { ok: false, errno: v.errno, message: v.message };
};

export function createKernel(profile: KernelProfile, opts: KernelOptions = {}): Kernel {
  return new SimKernel(profile, opts);
}

class SimKernel implements Kernel {
  private w: World = initialWorld();
  private rt = new Map<number, RingRuntime>();
  /** Snapshot of `w` with queues, valid while nothing changed. */
  private snap: World | null = null;
  /**
   * The queues of the last snapshot or restored world, and whether a runtime queue
   * (or the set of rings) changed since: control-plane calls leave the queues
   * alone, so their snapshot reuses the last one instead of copying every queue.
   */
  private baseQueues: IntMap<QueueState> | null = null;
  private queuesDirty = true;
  /**
   * `rt` does not reflect the world yet: restore only notes the world, and the
   * runtime queues are built from baseQueues when a call first needs them (most
   * calls an explorer makes after a restore are control-plane calls).
   */
  private rtStale = false;
  private readonly env: C.Env;
  private readonly sc: SubmitContext;
  readonly violations: InvariantViolation[] = [];
  private checker: IncrementalInvariants | null = null;
  readonly unmodelled = new Set<string>();
  steps = 0;

  constructor(readonly profile: KernelProfile, private readonly opts: KernelOptions) {
    this.env = { profile, load: opts.loader ?? defaultLoader };
    this.sc = {
      profile,
      scratch: new Uint32Array(profile.ctx.size / 4),
      unmodelled: (op) => this.unmodelled.add(opcodeName(op)),
    };
  }

  get world(): World {
    if (this.snap) return this.snap;
    let queues = this.baseQueues;
    if (queues === null || this.queuesDirty) {
      this.ensureRt();
      queues = IntMap.empty<QueueState>();
      for (const [id, q] of this.rt) {
        queues = queues.set(id, { sq: copyOf(q.sq), cq: copyOf(q.cq), drainDisabled: q.drainDisabled });
      }
      this.baseQueues = queues;
      this.queuesDirty = false;
    }
    const w = this.w;
    // Worlds made by control calls carry the queues of the world they came from;
    // when those are the current ones, the world itself is the snapshot.
    this.snap = w.queues === queues ? w : makeWorld(w.tasks, w.rings, w.filters, w.fs, w.nextPid, w.nextRing, w.leaked, queues);
    return this.snap;
  }

  restore(world: World): void {
    this.w = world;
    this.snap = world.queues ? world : null;
    this.baseQueues = world.queues;
    this.queuesDirty = world.queues === null;
    this.lk = null;
    this.rtStale = true;
  }

  /** Build the runtime queues of the current rings from the last restored world's. */
  private ensureRt(): void {
    if (!this.rtStale) return;
    this.rtStale = false;
    // Entries are refilled in place (Map.clear would drop the map's table for a new one).
    const base = this.baseQueues;
    const rings = this.w.rings;
    const ids = rings.keyArray();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const q = base?.get(id);
      const sq = q ? copyOf(q.sq) : [], cq = q ? copyOf(q.cq) : [], drainDisabled = q?.drainDisabled ?? false;
      const e = this.rt.get(id);
      if (e === undefined) this.rt.set(id, { sq, cq, drainDisabled });
      else { e.sq = sq; e.cq = cq; e.drainDisabled = drainDisabled; }
    }
    // Every current ring has its runtime now, so any extra one belongs to a ring the
    // restored world does not have (one closed, or made after it). Left in place, it
    // would be taken for a ring of the same id made later, with its stale entries
    // (the size test must come after the refill: before it, a stale id can hide a
    // missing one).
    if (this.rt.size > ids.length) for (const id of [...this.rt.keys()]) if (!rings.has(id)) this.rt.delete(id);
  }

  /** Install a new world from a control-plane call and keep the runtime queues in step with its rings. */
  private commit(next: World): void {
    const prev = this.w;
    if (next !== prev) {
      this.w = next;
      // Rings come and go only through control calls that replace the ring map.
      if (next.rings !== prev.rings) {
        this.queuesDirty = true;
        // (A stale rt is built for the current rings when first needed.)
        if (!this.rtStale) {
          next.rings.forEach((_r, id) => {
            if (!this.rt.has(id)) this.rt.set(id, { sq: [], cq: [], drainDisabled: false });
          });
          if (this.rt.size !== next.rings.size) for (const id of [...this.rt.keys()]) if (!next.rings.has(id)) this.rt.delete(id);
        }
      }
    }
    this.snap = null;
    this.step(prev);
  }

  private step(prev: World): void {
    this.steps++;
    if (!this.opts.invariants) return;
    // Incremental: the cost of a step follows what it touched, not the world's size.
    this.checker ??= new IncrementalInvariants(this.profile);
    for (const v of this.checker.check(this.w, prev)) this.violations.push({ ...v, step: this.steps });
  }

  setup(pid: Pid, entries: number, flags: number): number {
    const o = C.setup(this.w, this.env, pid, entries, flags);
    this.commit(o.world);
    return o.ret;
  }

  close(pid: Pid, fd: number): number {
    const o = C.close(this.w, pid, fd);
    this.commit(o.world);
    return o.ret;
  }

  registerRestrictions(pid: Pid, fd: number, entries: RestrictionEntry[]): number {
    const o = C.registerRestrictions(this.w, this.env, pid, fd, entries);
    this.commit(o.world);
    return o.ret;
  }

  enableRings(pid: Pid, fd: number): number {
    const o = C.enableRings(this.w, this.env, pid, fd);
    this.commit(o.world);
    return o.ret;
  }

  register(pid: Pid, fd: number, op: number): number {
    const o = C.register(this.w, this.env, pid, fd, op);
    this.commit(o.world);
    return o.ret;
  }

  registerBpf(pid: Pid, fd: number, reg: BpfRegistration): { ret: number; pdu?: number } {
    const raw = reg.raw ?? {};
    const o = C.registerBpf(this.w, this.env, pid, fd, {
      opcode: reg.opcode,
      flags: reg.flags,
      pdu: reg.pdu,
      insns: reg.insns,
      label: reg.label,
      cmdType: raw.cmd_type,
      cmdFlags: raw.cmd_flags,
      resv: raw.resv,
      resv2: raw.resv2,
      len: raw.len,
      ptrNull: raw.ptrNull,
      filterResv: raw.filter_resv,
      nrArgs: raw.nr_args,
    });
    this.commit(o.world);
    return o.pdu === undefined ? { ret: o.ret } : { ret: o.ret, pdu: o.pdu };
  }

  // The last (pid, fd) -> runtime lookup, valid while the world value is the same.
  private lk: { w: World; pid: Pid; fd: number; rt: RingRuntime; ringId: number; sqEntries: number } | null = null;

  /** The ring runtime for a task's fd, or the errno. */
  private runtime(pid: Pid, fd: number): { rt: RingRuntime; ringId: number; sqEntries: number } | number {
    const lk = this.lk;
    if (lk !== null && lk.w === this.w && lk.pid === pid && lk.fd === fd) return lk;
    this.ensureRt();
    const t = this.w.tasks.get(pid);
    if (!t) return -ERRNO.ESRCH;
    const r = C.ringOf(this.w, t, fd);
    if (typeof r === 'number') return r;
    const hit = { w: this.w, pid, fd, rt: this.rt.get(r.id)!, ringId: r.id, sqEntries: r.sqEntries };
    this.lk = hit;
    return hit;
  }

  queueSqe(pid: Pid, fd: number, sqe: SqeSpec): number {
    const x = this.runtime(pid, fd);
    let ret: number;
    if (typeof x === 'number') ret = x;
    else {
      // A full SQ: io_uring_get_sqe would return NULL; reported as -EBUSY.
      if (x.rt.sq.length >= x.sqEntries) ret = EBUSY;
      else {
        x.rt.sq.push(sqe as Sqe);
        ret = x.rt.sq.length;
        this.queuesDirty = true;
      }
      this.snap = null;
    }
    this.step(this.w);
    return ret;
  }

  enter(pid: Pid, fd: number): { ret: number; left: number } {
    const prev = this.w;
    const out = this.doEnter(pid, fd);
    this.snap = null;
    this.queuesDirty = true;
    this.step(prev);
    return out;
  }

  private doEnter(pid: Pid, fd: number): { ret: number; left: number } {
    const t = this.w.tasks.get(pid);
    if (!t) return { ret: -ERRNO.ESRCH, left: 0 };
    const r = C.ringOf(this.w, t, fd);
    if (typeof r === 'number') return { ret: r, left: 0 };
    this.ensureRt();
    const rt = this.rt.get(r.id)!;
    if (r.disabled) return { ret: -ERRNO.EBADFD, left: rt.sq.length };
    if (r.flags & SETUP_FLAGS.SQPOLL) {
      // The SQ thread submits on its own schedule; enter only reports to_submit. On
      // the real kernel the thread has not run yet when the trace's next command
      // looks (7.3.4: left = 2, no CQEs), so the model never runs it.
      return { ret: rt.sq.length, left: rt.sq.length };
    }
    if (rt.sq.length && r.submitter !== null && r.submitter !== pid) {
      return { ret: -ERRNO.EEXIST, left: rt.sq.length };
    }
    const res = submitAll(this.w, this.sc, t, r, rt);
    if (res.world) this.w = res.world;
    return { ret: res.ret, left: rt.sq.length };
  }

  reapCqes(pid: Pid, fd: number): Cqe[] | number {
    const x = this.runtime(pid, fd);
    let out: Cqe[] | number;
    if (typeof x === 'number') out = x;
    else {
      out = x.rt.cq;
      if (out.length) {
        x.rt.cq = [];
        this.queuesDirty = true;
      }
      this.snap = null;
    }
    this.step(this.w);
    return out;
  }

  setNoNewPrivs(pid: Pid): number {
    const o = C.setNoNewPrivs(this.w, pid);
    this.commit(o.world);
    return o.ret;
  }

  setresuid(pid: Pid, uid: number): number {
    const o = C.setresuid(this.w, pid, uid);
    this.commit(o.world);
    return o.ret;
  }

  fork(pid: Pid): { ret: number; child?: Pid } {
    const o = C.fork(this.w, this.env, pid);
    this.commit(o.world);
    return o.child === undefined ? { ret: o.ret } : { ret: o.ret, child: o.child };
  }

  exit(pid: Pid): number {
    const o = C.exit(this.w, pid);
    this.commit(o.world);
    return o.ret;
  }
}
