// The control plane as pure world transitions: io_uring_setup, close, the
// io_uring_register paths (kernel-semantics.md §2), prctl/setresuid, fork and exit.
// Each takes the world and returns the new world and the system call's result;
// the facade (kernel.ts) keeps the current world and the runtime queues.

import { produce, type Draft } from 'immer';
import { ERRNO } from '../../model/abi/errno.ts';
import { SETUP_FLAGS } from '../../model/abi/flags.ts';
import { REG } from '../../model/abi/register.ts';
import { opLastFor, registerOpLastFor, type KernelProfile } from '../../model/profile/profiles.ts';
import { registerBpfFilter, type BpfRequest } from '../../model/filter/register.ts';
import type { ProgramLoader } from '../../model/filter/program.ts';
import { dropTableRef, takeTableRef } from '../../model/filter/table.ts';
import { parseRestrictions, registerAllowed, type RestrictionEntryIn } from '../../model/restriction/legacy.ts';
import { EMPTY_SET, makeSet, type RestrictionSet } from '../../model/restriction/set.ts';
import { NO_REGISTRATIONS, copyRing, type Ring } from '../../model/ring/ring.ts';
import { lowestFreeFd, withFd } from '../../model/task/fd.ts';
import { makeTask, mayRegisterTaskRestrictions, type Pid, type Task } from '../../model/task/task.ts';
import { makeWorld, withFilters, withTasks, type World } from '../../model/world/world.ts';
import { RLIMIT_NOFILE } from '../../model/ops/socket.ts';

export interface Env {
  readonly profile: KernelProfile;
  readonly load: ProgramLoader;
}

export interface Out {
  world: World;
  ret: number;
}

const fail = (world: World, errno: number): Out => ({ world, ret: -errno });

const limits = (p: KernelProfile) => ({ opLast: opLastFor(p), registerOpLast: registerOpLastFor(p) });

/**
 * parseRestrictions, remembered per entry list and profile. A policy is a readonly
 * value, so one object can serve every call with the same list; the explorer makes
 * the same call from millions of states, and a new policy object each time had to
 * be interned anew by content for every state key. The list's contents are kept
 * and compared on a hit, so a list changed in place is parsed again.
 */
type Parsed = ReturnType<typeof parseRestrictions>;
const parsed = new WeakMap<readonly RestrictionEntryIn[], Map<KernelProfile, { seen: number[]; r: Parsed }>>();
function parseFor(entries: readonly RestrictionEntryIn[], p: KernelProfile): Parsed {
  let byProfile = parsed.get(entries);
  if (byProfile === undefined) parsed.set(entries, (byProfile = new Map()));
  const hit = byProfile.get(p);
  if (hit !== undefined && sameEntries(hit.seen, entries)) return hit.r;
  const r = parseRestrictions(entries, limits(p));
  byProfile.set(p, { seen: entries.flatMap((e) => [e.type, e.value]), r });
  return r;
}

function sameEntries(seen: number[], entries: readonly RestrictionEntryIn[]): boolean {
  if (seen.length !== 2 * entries.length) return false;
  for (let i = 0; i < entries.length; i++) if (seen[2 * i] !== entries[i].type || seen[2 * i + 1] !== entries[i].value) return false;
  return true;
}

/** IORING_MAX_ENTRIES. */
const MAX_ENTRIES = 32768;
/** Every IORING_SETUP_* bit the kernels know (through SQ_REWIND, 1 << 20). */
const KNOWN_SETUP_FLAGS = (1 << 21) - 1;

export function putTask(w: World, t: Task): World {
  return makeWorld(w.tasks.set(t.pid, t), w.rings, w.filters, w.fs, w.nextPid, w.nextRing, w.leaked, w.queues);
}

export function putRing(w: World, r: Ring): World {
  return makeWorld(w.tasks, w.rings.set(r.id, r), w.filters, w.fs, w.nextPid, w.nextRing, w.leaked, w.queues);
}

// Control-plane record changes: a recipe assigns fields of a copy. Recipes only
// replace fields (a new fd table, a new set), so a shallow copy is enough and
// costs a tenth of an immer draft on these paths, which the explorer runs millions
// of times. Copies are made field by field (copyRing, makeTask, makeSet), never by
// spreading a record, and are not frozen: V8 spreads a frozen object about ten
// times slower than a plain one, and freezing itself cost as much as the copy. The
// types keep records readonly. A change inside a nested value (the ring's
// registrations) goes through immer's draft (editRingDeep). fork, filter
// registration and the filter store build records directly.

type Fields<T> = { -readonly [K in keyof T]: T[K] };

function editRing(w: World, r: Ring, recipe: (d: Fields<Ring>) => void): World {
  const d = copyRing(r);
  recipe(d);
  return putRing(w, d);
}

function editRingDeep(w: World, r: Ring, recipe: (d: Draft<Ring>) => void): World {
  return putRing(w, produce(r, recipe));
}

function editTask(w: World, t: Task, recipe: (d: Fields<Task>) => void): World {
  const d = makeTask(t.pid, t.ppid, t.uid, t.cap, t.nnp, t.fds, t.rs) as Fields<Task>;
  recipe(d);
  return putTask(w, d);
}

/** The ring an fd of the task refers to, or the errno fget/io_is_uring_fops give. */
export function ringOf(w: World, t: Task, fd: number): Ring | number {
  const e = fd >= 0 ? t.fds[fd] : undefined;
  if (!e) return -ERRNO.EBADF;
  if (e.kind !== 'ring') return -ERRNO.EOPNOTSUPP;
  return w.rings.get(e.ring)!;
}

function roundPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

const twins = new WeakMap<RestrictionSet, RestrictionSet>();

/** The set a clone of `src` gets: same policy and table, marked COW. One value per source. */
function cowTwin(src: RestrictionSet): RestrictionSet {
  let t = twins.get(src);
  if (!t) twins.set(src, (t = { legacy: src.legacy, table: src.table, cow: true }));
  return t;
}

/**
 * io_restriction_clone (§3.3, §7): legacy fields by value, the table shared with a
 * new reference; the destination is marked COW, and the source too where the
 * profile's kernel has fix 50b617ba.
 */
export function cloneSet(w: World, profile: KernelProfile, src: RestrictionSet): { world: World; dst: RestrictionSet; src: RestrictionSet } {
  if (src.table === null) return { world: w, dst: src.cow ? makeSet(src.legacy, src.table, false) : src, src };
  const filters = takeTableRef(w.filters, src.table);
  const newSrc = profile.cloneMarksSourceCow && !src.cow ? makeSet(src.legacy, src.table, true) : src;
  // A child's set equals a COW-marked parent's: share the value (it is immutable).
  const dst = newSrc.cow ? newSrc : cowTwin(src);
  return { world: withFilters(w, filters), dst, src: newSrc };
}

// ---------------------------------------------------------------- io_uring_setup

export function setup(w: World, env: Env, pid: Pid, entries: number, flags: number): Out {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  const F = SETUP_FLAGS;
  const f = flags >>> 0;
  if (f & ~KNOWN_SETUP_FLAGS) return fail(w, ERRNO.EINVAL);
  // io_uring_sanitise_params
  if (f & F.REGISTERED_FD_ONLY && !(f & F.NO_MMAP)) return fail(w, ERRNO.EINVAL);
  if (f & F.SQPOLL && f & (F.COOP_TASKRUN | F.TASKRUN_FLAG | F.DEFER_TASKRUN)) return fail(w, ERRNO.EINVAL);
  if (f & F.TASKRUN_FLAG && !(f & (F.COOP_TASKRUN | F.DEFER_TASKRUN))) return fail(w, ERRNO.EINVAL);
  if (f & F.HYBRID_IOPOLL && !(f & F.IOPOLL)) return fail(w, ERRNO.EINVAL);
  if (f & F.DEFER_TASKRUN && !(f & F.SINGLE_ISSUER)) return fail(w, ERRNO.EINVAL);
  if ((f & (F.CQE32 | F.CQE_MIXED)) === (F.CQE32 | F.CQE_MIXED)) return fail(w, ERRNO.EINVAL);
  if ((f & (F.SQE128 | F.SQE_MIXED)) === (F.SQE128 | F.SQE_MIXED)) return fail(w, ERRNO.EINVAL);
  // io_uring_fill_params
  let n = entries >>> 0;
  if (n === 0) return fail(w, ERRNO.EINVAL);
  if (n > MAX_ENTRIES) {
    if (!(f & F.CLAMP)) return fail(w, ERRNO.EINVAL);
    n = MAX_ENTRIES;
  }
  // The trace passes no cq_entries, so CQSIZE asks for 0 entries.
  if (f & F.CQSIZE) return fail(w, ERRNO.EINVAL);
  // The trace passes no wq_fd: fd 0 is not a ring.
  if (f & F.ATTACH_WQ) return fail(w, ERRNO.EINVAL);
  if (f & F.SQ_AFF && !(f & F.SQPOLL)) return fail(w, ERRNO.EINVAL);
  // Observed on 7.3.4: SQ_REWIND alone is -EINVAL (the model asks for NO_SQARRAY, UNVERIFIED);
  // NO_MMAP without user memory for the rings is -EFAULT.
  if (f & F.SQ_REWIND && !(f & F.NO_SQARRAY)) return fail(w, ERRNO.EINVAL);
  if (f & F.NO_MMAP) return fail(w, ERRNO.EFAULT);
  const fd = lowestFreeFd(t.fds);
  if (fd >= RLIMIT_NOFILE) return fail(w, ERRNO.EMFILE);

  const sq = roundPow2(n);
  let world = w;
  let task = t;
  let rs: RestrictionSet = EMPTY_SET;
  let opRestricted = false;
  let regRestricted = false;
  // io_ctx_restriction_clone (§7.2): the creating task's own set, if any.
  if (t.rs) {
    const c = cloneSet(world, env.profile, t.rs);
    world = c.world;
    rs = c.dst;
    if (c.src !== t.rs) task = makeTask(task.pid, task.ppid, task.uid, task.cap, task.nnp, task.fds, c.src);
    opRestricted = rs.legacy?.opRegistered ?? false;
    regRestricted = rs.legacy?.regRegistered ?? false;
  }
  const id = world.nextRing;
  // (Not frozen, like every record the control calls make: see editRing.)
  const ring: Ring = {
    id,
    flags: f,
    sqEntries: sq,
    cqEntries: 2 * sq,
    disabled: (f & F.R_DISABLED) !== 0,
    submitter: f & F.SINGLE_ISSUER && !(f & F.R_DISABLED) ? pid : null,
    rs,
    opRestricted,
    regRestricted,
    regInherited: regRestricted,
    filterCache: rs.table,
    fileRefs: 1,
    creator: pid,
    reg: NO_REGISTRATIONS,
  };
  task = makeTask(task.pid, task.ppid, task.uid, task.cap, task.nnp, withFd(task.fds, fd, Object.freeze({ kind: 'ring', ring: id })), task.rs);
  world = makeWorld(world.tasks, world.rings.set(id, ring), world.filters, world.fs, world.nextPid, id + 1, world.leaked, world.queues);
  return { world: putTask(world, task), ret: fd };
}

// ---------------------------------------------------------------- close, exit

/** Drop one file reference of a ring; the last one frees it (io_ring_ctx_free). */
export function releaseRing(w: World, ringId: number): World {
  const r = w.rings.get(ringId)!;
  if (r.fileRefs > 1) return editRing(w, r, (d) => { d.fileRefs--; });
  const filters = r.rs.table !== null ? dropTableRef(w.filters, r.rs.table) : w.filters;
  return makeWorld(w.tasks, w.rings.delete(ringId), filters, w.fs, w.nextPid, w.nextRing, w.leaked, w.queues);
}

export function close(w: World, pid: Pid, fd: number): Out {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  const e = fd >= 0 ? t.fds[fd] : undefined;
  if (!e) return fail(w, ERRNO.EBADF);
  let world = editTask(w, t, (d) => { d.fds = withFd(t.fds, fd, undefined); });
  if (e.kind === 'ring') world = releaseRing(world, e.ring);
  return { world, ret: 0 };
}

export function exit(w: World, pid: Pid): Out {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  let world = withTasks(w, w.tasks.delete(pid));
  for (const e of t.fds) if (e?.kind === 'ring') world = releaseRing(world, e.ring);
  // __io_uring_free at the final put of the task struct.
  if (t.rs?.table != null) world = withFilters(world, dropTableRef(world.filters, t.rs.table));
  return { world, ret: 0 };
}

// ---------------------------------------------------------------- fork, creds

export function fork(w: World, env: Env, pid: Pid): { world: World; ret: number; child?: Pid } {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  let filters = w.filters;
  let rings = w.rings;
  let parent = t;
  let rs: RestrictionSet | null = null;
  if (t.rs) {
    // io_uring_fork -> io_restriction_clone (§3.3, §7.1)
    const src = t.rs;
    if (src.table === null) rs = src;
    else {
      filters = takeTableRef(filters, src.table);
      const newSrc = env.profile.cloneMarksSourceCow && !src.cow ? { legacy: src.legacy, table: src.table, cow: true } : src;
      if (newSrc !== src) parent = makeTask(t.pid, t.ppid, t.uid, t.cap, t.nnp, t.fds, newSrc);
      // The child's set is a value equal for every child of this source: share it.
      rs = newSrc.cow ? newSrc : cowTwin(src);
    }
  }
  // The child's fd table is the parent's (shared until either changes it); each
  // ring gains a file reference.
  const fds = t.fds;
  for (let i = 0; i < fds.length; i++) {
    const e = fds[i];
    if (e !== undefined && e.kind === 'ring') {
      const r = rings.get(e.ring)!;
      const more = copyRing(r);
      more.fileRefs++;
      rings = rings.set(r.id, more);
    }
  }
  const cpid = w.nextPid;
  const child = makeTask(cpid, pid, t.uid, t.cap, t.nnp, fds, rs);
  const tasks = (parent === t ? w.tasks : w.tasks.set(pid, parent)).set(cpid, child);
  return { world: makeWorld(tasks, rings, filters, w.fs, cpid + 1, w.nextRing, w.leaked, w.queues), ret: 0, child: cpid };
}

export function setNoNewPrivs(w: World, pid: Pid): Out {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  return { world: t.nnp ? w : editTask(w, t, (d) => { d.nnp = true; }), ret: 0 };
}

/** setresuid(uid, uid, uid): without CAP_SETUID only the current uid; a non-zero uid drops every capability. */
export function setresuid(w: World, pid: Pid, uid: number): Out {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  if (uid < 0 || uid > 0xfffffffe) return fail(w, ERRNO.EINVAL);
  if (!t.cap && uid !== t.uid) return fail(w, ERRNO.EPERM);
  return { world: editTask(w, t, (d) => { d.uid = uid; d.cap = uid === 0 && t.cap; }), ret: 0 };
}

// ---------------------------------------------------------------- io_uring_register

/**
 * __io_uring_register's preamble (§2.1.2): SINGLE_ISSUER, then the register allow
 * list, which an R_DISABLED ring bypasses (except a list inherited from the task
 * on kernels with erratum 1).
 */
function preamble(env: Env, r: Ring, pid: Pid, op: number): number {
  if (r.submitter !== null && r.submitter !== pid) return -ERRNO.EEXIST;
  if (r.regRestricted) {
    const binds = !r.disabled || (env.profile.inheritedRegListBindsDisabled && r.regInherited);
    if (binds && !registerAllowed(r.rs.legacy!, op)) return -ERRNO.EACCES;
  }
  return 0;
}

/** 7.3 erratum 4: task-level registration checked against the task's own register list. */
function taskOwnListDenies(env: Env, t: Task, op: number): boolean {
  const l = t.rs?.legacy;
  return env.profile.taskRegisterCheckedAgainstOwnList && !!l && l.regRegistered && !registerAllowed(l, op);
}

/** IORING_REGISTER_RESTRICTIONS; `entries` null means a NULL argument (nr_args 0). */
export function registerRestrictions(w: World, env: Env, pid: Pid, fd: number, entries: readonly RestrictionEntryIn[] | null): Out {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  const p = env.profile;
  if (fd === -1) {
    if (!p.taskRestrictions) return fail(w, p.noBlindErrno);
    // io_register_restrictions_task (§2.3)
    if (taskOwnListDenies(env, t, REG.RESTRICTIONS)) return fail(w, ERRNO.EACCES);
    if (t.rs) return fail(w, ERRNO.EPERM);
    if (p.taskRegistrationPrivileged && !mayRegisterTaskRestrictions(t)) return fail(w, ERRNO.EACCES);
    if (entries === null) return fail(w, ERRNO.EINVAL); // nr_args != 1
    const legacy = parseFor(entries, p);
    if (typeof legacy === 'number') return { world: w, ret: legacy };
    return { world: editTask(w, t, (d) => { d.rs = { legacy, table: null, cow: false }; }), ret: 0 };
  }
  const r = ringOf(w, t, fd);
  if (typeof r === 'number') return { world: w, ret: r };
  const pre = preamble(env, r, pid, REG.RESTRICTIONS);
  if (pre) return { world: w, ret: pre };
  // io_register_restrictions (§2.2; before 7.0 the same order with one `registered` flag).
  if (!r.disabled) return fail(w, ERRNO.EBADFD);
  if (r.rs.legacy !== null) return fail(w, ERRNO.EBUSY);
  const legacy = entries === null ? -ERRNO.EINVAL : parseFor(entries, p);
  if (typeof legacy === 'number') {
    // The whole set is wiped; 7.0-final keeps the table pointer, 7.0-merge loses it
    // (leaking its reference; the submission cache keeps pointing at it).
    if (p.restrictionsParseFailureKeepsBpf || r.rs.table === null) return { world: w, ret: legacy };
    const lost = r.rs.table;
    const leaked = w.leaked.set(lost, (w.leaked.get(lost) ?? 0) + 1);
    const world = editRing(w, r, (d) => { d.rs = EMPTY_SET; });
    return { world: makeWorld(world.tasks, world.rings, world.filters, world.fs, world.nextPid, world.nextRing, leaked, world.queues), ret: legacy };
  }
  const armedNow = p.legacy === '7.0';
  return {
    world: editRing(w, r, (d) => {
      d.rs = makeSet(legacy, r.rs.table, r.rs.cow);
      d.opRestricted = armedNow && legacy.opRegistered;
      d.regRestricted = armedNow && legacy.regRegistered;
    }),
    ret: 0,
  };
}

export function enableRings(w: World, env: Env, pid: Pid, fd: number): Out {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  const r = ringOf(w, t, fd);
  if (typeof r === 'number') return { world: w, ret: r };
  const pre = preamble(env, r, pid, REG.ENABLE_RINGS);
  if (pre) return { world: w, ret: pre };
  if (!r.disabled) return fail(w, ERRNO.EBADFD);
  const arm = env.profile.legacy === 'pre-7.0' && r.rs.legacy !== null;
  const world = editRing(w, r, (d) => {
    d.disabled = false;
    if (r.flags & SETUP_FLAGS.SINGLE_ISSUER) d.submitter = pid;
    // Before 7.0 ENABLE_RINGS arms whatever was registered, both classes at once.
    if (arm) d.opRestricted = d.regRestricted = true;
  });
  return { world, ret: 0 };
}

export interface BpfCall extends BpfRequest {
  /** nr_args (default 1). */
  nrArgs?: number;
}

export function registerBpf(w: World, env: Env, pid: Pid, fd: number, req: BpfCall): { world: World; ret: number; pdu?: number } {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  const p = env.profile;
  // Kernels without the opcode: it is >= IORING_REGISTER_LAST, rejected before the fd.
  if (!p.bpfFilters) return fail(w, ERRNO.EINVAL);
  const nr = req.nrArgs ?? 1;
  if (fd === -1) {
    if (!p.taskRestrictions) return fail(w, p.noBlindErrno);
    // io_register_bpf_filter_task (§2.6)
    if (taskOwnListDenies(env, t, REG.BPF_FILTER)) return fail(w, ERRNO.EACCES);
    if (p.taskRegistrationPrivileged && !mayRegisterTaskRestrictions(t)) return fail(w, ERRNO.EACCES);
    if (nr !== 1) return fail(w, ERRNO.EINVAL);
    const o = registerBpfFilter(w.filters, t.rs ?? EMPTY_SET, req, p, env.load);
    // Built directly, not through immer: the explorer registers filters a million times.
    const world = o.ret === 0 ? putTask(withFilters(w, o.store), makeTask(t.pid, t.ppid, t.uid, t.cap, t.nnp, t.fds, o.set)) : w;
    return o.pdu === undefined ? { world, ret: o.ret } : { world, ret: o.ret, pdu: o.pdu };
  }
  const r = ringOf(w, t, fd);
  if (typeof r === 'number') return { world: w, ret: r };
  const pre = preamble(env, r, pid, REG.BPF_FILTER);
  if (pre) return { world: w, ret: pre };
  if (nr !== 1) return fail(w, ERRNO.EINVAL);
  const o = registerBpfFilter(w.filters, r.rs, req, p, env.load);
  let world = w;
  if (o.ret === 0) {
    const d = copyRing(r);
    d.rs = o.set;
    d.filterCache = o.set.table;
    world = putRing(withFilters(w, o.store), d);
  }
  return o.pdu === undefined ? { world, ret: o.ret } : { world, ret: o.ret, pdu: o.pdu };
}

/**
 * Any other register op, with the argument the oracle's guest passes: PROBE with a
 * zeroed 256-entry buffer, FILES with one sparse slot, IOWQ_MAX_WORKERS with
 * {0, 0}, every other op NULL and nr_args 0.
 */
export function register(w: World, env: Env, pid: Pid, fd: number, op: number): Out {
  const t = w.tasks.get(pid);
  if (!t) return fail(w, ERRNO.ESRCH);
  const o = op >>> 0;
  if (o >= registerOpLastFor(env.profile)) return fail(w, ERRNO.EINVAL);
  if (o === REG.BPF_FILTER && !env.profile.bpfFilters) return fail(w, ERRNO.EINVAL);
  if (fd === -1) {
    switch (o) {
      case REG.RESTRICTIONS: return registerRestrictions(w, env, pid, -1, null);
      case REG.BPF_FILTER: return registerBpf(w, env, pid, -1, { opcode: 0, flags: 0, pdu: null, insns: [], nrArgs: 0 });
      case REG.QUERY: return { world: w, ret: 0 };
      default: return fail(w, ERRNO.EINVAL);
    }
  }
  const r = ringOf(w, t, fd);
  if (typeof r === 'number') return { world: w, ret: r };
  switch (o) {
    case REG.RESTRICTIONS: return registerRestrictions(w, env, pid, fd, null);
    case REG.ENABLE_RINGS: return enableRings(w, env, pid, fd);
    case REG.BPF_FILTER: return registerBpf(w, env, pid, fd, { opcode: 0, flags: 0, pdu: null, insns: [], nrArgs: 0 });
    default: break;
  }
  const pre = preamble(env, r, pid, o);
  if (pre) return { world: w, ret: pre };
  switch (o) {
    case REG.PROBE:
    case REG.IOWQ_MAX_WORKERS:
    case REG.QUERY:
    case REG.UNREGISTER_IOWQ_AFF:
      return { world: w, ret: 0 };
    case REG.ZCRX_CTRL:
      // Observed on 7.3.4: it copies its (NULL) argument first.
      return fail(w, ERRNO.EFAULT);
    case REG.FILES:
      if (r.reg.files) return fail(w, ERRNO.EBUSY);
      return { world: editRingDeep(w, r, (d) => { d.reg.files = 1; }), ret: 0 };
    case REG.UNREGISTER_FILES:
      if (!r.reg.files) return fail(w, ERRNO.ENXIO);
      return { world: editRingDeep(w, r, (d) => { d.reg.files = 0; }), ret: 0 };
    case REG.UNREGISTER_BUFFERS:
      return r.reg.buffers ? { world: editRingDeep(w, r, (d) => { d.reg.buffers = 0; }), ret: 0 } : fail(w, ERRNO.ENXIO);
    case REG.UNREGISTER_EVENTFD:
      return fail(w, ERRNO.ENXIO);
    case REG.PERSONALITY: {
      const id = r.reg.nextPersonality;
      return { world: editRingDeep(w, r, (d) => { d.reg.personalities.push(id); d.reg.nextPersonality = id + 1; }), ret: id };
    }
    default:
      // Every other op rejects a NULL argument or nr_args 0.
      return fail(w, ERRNO.EINVAL);
  }
}
