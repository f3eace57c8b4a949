// io_uring_enter's submission side (kernel-semantics.md §4): io_submit_sqes with
// io_init_req's check order (opcode, flags, legacy restriction, generic checks,
// prep, then the BPF filters), link-chain assembly and failure (§4.4), the batch
// stop and SUBMIT_ALL, CQE_SKIP_SUCCESS, and the completion order the real
// kernels show (real-kernel-oracle.md §5.1): completions that happen inline during
// the submit call are posted at its end in submission order; follow-up work
// (chain continuations, cancelled chain members, io-wq punts, poll retries) is
// then posted in first-in-first-out rounds.
//
// Runs on per-ring runtime state (SQ, CQ) outside the world value; the world only
// changes when an issued request installs an fd or creates a file.

import { ERRNO } from '../../model/abi/errno.ts';
import { SETUP_FLAGS, SQE_FLAGS } from '../../model/abi/flags.ts';
import { opLastFor, type KernelProfile } from '../../model/profile/profiles.ts';
import { ctxPlan, fillCtx, type CtxPlan } from '../../model/ctx/populate.ts';
import { DENY, type FilterNode, type Slot, type SlotTable } from '../../model/filter/table.ts';
import { sqeAllowed } from '../../model/restriction/legacy.ts';
import type { Ring } from '../../model/ring/ring.ts';
import type { Cqe, Sqe } from '../../model/ring/sqe.ts';
import { makeTask, type Task } from '../../model/task/task.ts';
import { makeWorld, type World } from '../../model/world/world.ts';
import { BUFFER_SELECT_OPS, HANDLER_BY_OP, IOPOLL_OPS, IOPRIO_OPS, IS_SQE128_OP, type Issued, type OpEnv, type Prepared } from '../../model/ops/index.ts';

// Imported bindings copied into module constants: the hot path reads them per SQE.
const HANDLERS = HANDLER_BY_OP;
const IS_128 = IS_SQE128_OP;
const EINVAL = -ERRNO.EINVAL, EACCES = -ERRNO.EACCES, EOPNOTSUPP = -ERRNO.EOPNOTSUPP, ECANCELED = -ERRNO.ECANCELED;
const F_LINK = SQE_FLAGS.IO_LINK, F_HARDLINK = SQE_FLAGS.IO_HARDLINK, F_ASYNC = SQE_FLAGS.ASYNC, F_FIXED = SQE_FLAGS.FIXED_FILE;
const F_SKIP = SQE_FLAGS.CQE_SKIP_SUCCESS, F_DRAIN = SQE_FLAGS.IO_DRAIN, F_BUFSEL = SQE_FLAGS.BUFFER_SELECT;
const S_SUBMIT_ALL = SETUP_FLAGS.SUBMIT_ALL, S_IOPOLL = SETUP_FLAGS.IOPOLL;
const S_128 = SETUP_FLAGS.SQE128 | SETUP_FLAGS.SQE_MIXED;
const DENY_SLOT: Slot = DENY;
const populate = fillCtx;
const allowedByLegacy = sqeAllowed;

/** A ring's runtime queues (see kernel.ts for how snapshots keep branching possible). */
export interface RingRuntime {
  sq: Sqe[];
  cq: Cqe[];
  drainDisabled: boolean;
}

const LINK_FLAGS = F_LINK | F_HARDLINK;
/** Flags io_init_req lets through without a closer look (SQE_COMMON_FLAGS). */
const COMMON_FLAGS = F_FIXED | F_LINK | F_HARDLINK | F_ASYNC;

/** struct io_kiocb, as far as submission and completion need it. */
class Req {
  res = 0;
  /** REQ_F_FAIL */
  failed = false;
  /** REQ_F_CQE_SKIP */
  skip: boolean;
  /** REQ_F_SKIP_LINK_CQES */
  skipLinkCqes = false;
  hardlink: boolean;
  /** REQ_F_FORCE_ASYNC */
  forceAsync: boolean;
  prepared: Prepared | null = null;
  link: Req | null = null;
  constructor(readonly sqe: Sqe, readonly flags: number, readonly ud: bigint) {
    this.skip = (flags & F_SKIP) !== 0;
    this.hardlink = (flags & F_HARDLINK) !== 0;
    this.forceAsync = (flags & F_ASYNC) !== 0;
    this.linked = (flags & LINK_FLAGS) !== 0;
  }
  /** IOSQE_IO_LINK or IOSQE_IO_HARDLINK as submitted. */
  readonly linked: boolean;
}

/** req_set_fail: a failing request always posts; if it was to be skipped, its links are skipped instead. */
function setFail(r: Req, res: number): void {
  r.failed = true;
  r.res = res;
  if (r.skip) {
    r.skip = false;
    r.skipLinkCqes = true;
  }
}

type Work =
  | { k: 'iowq'; r: Req } // io_queue_iowq: issued blocking, completes then
  | { k: 'post'; r: Req; out: Issued } // issued already; the completion arrives later
  | { k: 'next'; r: Req } // io_queue_next: a chain member submitted from task work
  | { k: 'faillinks'; first: Req; ignore: boolean }; // io_req_tw_fail_links

export interface SubmitContext {
  readonly profile: KernelProfile;
  /** Reused filter context buffer (ctx.size / 4 words). */
  readonly scratch: Uint32Array;
  /** Told about an issued opcode the model has no result for. */
  unmodelled?(opcode: number): void;
}

export interface SubmitResult {
  ret: number;
  /** The world after issued requests changed fds or files, or null when unchanged. */
  world: World | null;
}

/** io_submit_sqes on `ring` for every pending SQE, by `task` (not for SQPOLL rings: see kernel.ts). */
export function submitAll(w: World, sc: SubmitContext, task: Task, ring: Ring, rt: RingRuntime): SubmitResult {
  const env: OpEnv = { profile: sc.profile, ring, uid: task.uid, cap: task.cap, fds: task.fds, fs: w.fs };
  const table = ring.filterCache === null ? null : w.filters.tables.get(ring.filterCache)!.slots;
  const toSubmit = rt.sq.length;
  const ret = toSubmit === 0 ? 0 : new Batch(sc, env, ring, rt, table).run(toSubmit);
  let world: World | null = null;
  if (env.fds !== task.fds || env.fs !== w.fs) {
    const t = makeTask(task.pid, task.ppid, task.uid, task.cap, task.nnp, env.fds, task.rs);
    world = makeWorld(w.tasks.set(task.pid, t), w.rings, w.filters, env.fs, w.nextPid, w.nextRing, w.leaked, w.queues);
  }
  return { ret, world };
}

class Batch {
  private head: Req | null = null;
  private last: Req | null = null;
  private inline: Req[] = [];
  private work: Work[] = [];
  private drainActive = false;
  private readonly plan: CtxPlan;
  private readonly opLast: number;

  constructor(
    private readonly sc: SubmitContext,
    private readonly env: OpEnv,
    private readonly ring: Ring,
    private readonly rt: RingRuntime,
    private readonly table: SlotTable | null,
  ) {
    this.plan = ctxPlan(sc.profile);
    this.opLast = opLastFor(sc.profile);
  }

  /** Returns the number of SQEs consumed. */
  run(toSubmit: number): number {
    const sq = this.rt.sq;
    const n = Math.min(toSubmit, this.ring.sqEntries, sq.length);
    const submitAll = (this.ring.flags & S_SUBMIT_ALL) !== 0;
    let submitted = 0;
    while (submitted < n) {
      const sqe = sq[submitted++];
      if (this.submitOne(sqe) !== 0 && !submitAll) break;
    }
    if (submitted === sq.length) sq.length = 0;
    else sq.splice(0, submitted);
    // io_submit_state_end: a chain left open at the end goes to the slow path.
    if (this.head) {
      const h = this.head;
      this.head = this.last = null;
      this.fallback(h);
    }
    this.flush();
    return submitted;
  }

  /** io_submit_sqe: 0, or the error that stops the batch. */
  private submitOne(sqe: Sqe): number {
    const req = new Req(sqe, sqe.flags & 0xff, sqe.ud);
    const err = this.init(req);
    if (err) return this.failInit(req, err);
    if (this.head) {
      this.last!.link = req;
      this.last = req;
      if (req.linked) return 0;
      const h = this.head;
      this.head = this.last = null;
      if (h.forceAsync || h.failed) this.fallback(h);
      else this.queue(h);
      return 0;
    }
    if (req.linked) {
      this.head = this.last = req;
      return 0;
    }
    if (req.forceAsync) this.fallback(req);
    else this.queue(req);
    return 0;
  }

  /** io_init_req + the BPF filters (§4.1 steps 1-7): 0 or a negative errno. */
  private init(req: Req): number {
    const sqe = req.sqe;
    const op = sqe.opcode;
    const ring = this.ring;
    if (op >>> 0 >= this.opLast) return EINVAL;
    if (IS_128[op] && !(ring.flags & S_128)) return EINVAL;
    const f = req.flags;
    if (f & ~COMMON_FLAGS) {
      if (f & ~0x7f) return EINVAL;
      if (f & F_BUFSEL && !BUFFER_SELECT_OPS.has(op)) return EOPNOTSUPP;
      if (f & F_SKIP) this.rt.drainDisabled = true;
      if (f & F_DRAIN) {
        if (this.rt.drainDisabled) return EOPNOTSUPP;
        this.drainActive = true;
        if (this.head) this.head.forceAsync = true;
      }
    }
    if (ring.opRestricted || this.drainActive) {
      if (ring.opRestricted && !allowedByLegacy(ring.rs.legacy!, op, f)) return EACCES;
      if (this.drainActive) req.forceAsync = true;
    }
    if (sqe.ioprio !== 0 && !IOPRIO_OPS.has(op)) return EINVAL;
    if (ring.flags & S_IOPOLL && !IOPOLL_OPS.has(op)) return EINVAL;
    if (sqe.pers !== 0 && !ring.reg.personalities.includes(sqe.pers)) return EINVAL;
    const h = HANDLERS[op];
    if (h !== undefined) {
      const p = h.prep(sqe, this.env);
      if (typeof p === 'number') return p;
      req.prepared = p;
      if (p.forceAsync) req.forceAsync = true;
    }
    const table = this.table;
    if (table !== null) {
      const slot = table.at(op);
      if (slot !== null) {
        if (slot === DENY_SLOT) return EACCES;
        const prepared = req.prepared;
        const ctx = populate(this.sc.scratch, this.plan, sqe, req.forceAsync ? f | F_ASYNC : f, prepared === null ? undefined : prepared.open);
        let s: Slot = slot;
        while (s !== null) {
          if (s === DENY_SLOT) return EACCES;
          const node = s as FilterNode;
          if (node.program.run(ctx) === 0) return EACCES;
          s = node.next;
        }
      }
    }
    return 0;
  }

  /** io_submit_fail_init (§4.4). */
  private failInit(req: Req, err: number): number {
    setFail(req, err);
    const head = this.head;
    if (head && !head.failed) setFail(head, ECANCELED);
    if (!req.linked) {
      let r = req;
      if (head) {
        this.last!.link = req;
        this.head = this.last = null;
        r = head;
      }
      this.fallback(r);
      return err;
    }
    if (head) this.last!.link = req;
    else this.head = req;
    this.last = req;
    return 0;
  }

  /** io_queue_sqe_fallback: a failed chain completes now (hardlinks become links); anything else goes to io-wq. */
  private fallback(req: Req): void {
    if (req.failed) {
      req.hardlink = false;
      this.inline.push(req);
    } else {
      this.work.push({ k: 'iowq', r: req });
    }
  }

  /** io_queue_sqe: issue now, non-blocking. */
  private queue(req: Req): void {
    const out = this.issue(req, false);
    if (out.deferred) this.work.push({ k: 'post', r: req, out });
    else {
      this.settle(req, out);
      this.inline.push(req);
    }
  }

  private issue(req: Req, async: boolean): Issued {
    const op = req.sqe.opcode;
    const h = HANDLERS[op];
    if (h === undefined) {
      this.sc.unmodelled?.(op);
      return { res: EOPNOTSUPP, failed: true, deferred: false };
    }
    const out = h.issue(req.sqe, req.prepared!, this.env, async);
    if (out.unmodelled) this.sc.unmodelled?.(op);
    return out;
  }

  private settle(req: Req, out: Issued): void {
    if (out.failed) setFail(req, out.res);
    else req.res = out.res;
  }

  private post(req: Req): void {
    if (!req.skip) this.rt.cq.push({ userData: req.ud, res: req.res, flags: 0 });
  }

  /** After a request completed: start its next chain member, or fail the rest of its chain. */
  private afterCompletion(req: Req): void {
    const next = req.link;
    if (!next) return;
    req.link = null;
    if (req.failed && !req.hardlink) this.work.push({ k: 'faillinks', first: next, ignore: req.skipLinkCqes });
    else this.work.push({ k: 'next', r: next });
  }

  /** Post the inline completions in order, then run follow-up work in FIFO rounds. */
  private flush(): void {
    const inline = this.inline;
    for (let i = 0; i < inline.length; i++) this.post(inline[i]);
    for (let i = 0; i < inline.length; i++) this.afterCompletion(inline[i]);
    this.inline = [];
    const work = this.work;
    for (let i = 0; i < work.length; i++) {
      const item = work[i];
      switch (item.k) {
        case 'iowq': {
          this.settle(item.r, this.issue(item.r, true));
          this.complete(item.r);
          break;
        }
        case 'post':
          this.settle(item.r, item.out);
          this.complete(item.r);
          break;
        case 'next': {
          const r = item.r;
          if (r.forceAsync) {
            work.push({ k: 'iowq', r });
            break;
          }
          const out = this.issue(r, false);
          if (out.deferred) work.push({ k: 'post', r, out });
          else {
            this.settle(r, out);
            this.complete(r);
          }
          break;
        }
        case 'faillinks': {
          for (let m: Req | null = item.first; m; ) {
            const nx: Req | null = m.link;
            m.link = null;
            if (!m.failed) m.res = ECANCELED;
            m.skip = item.ignore;
            this.post(m);
            m = nx;
          }
          break;
        }
      }
    }
    this.work = [];
  }

  private complete(req: Req): void {
    this.post(req);
    this.afterCompletion(req);
  }
}
