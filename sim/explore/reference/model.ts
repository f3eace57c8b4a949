// The reference model's transition function: one trace command on a world gives
// a new world and the command's observation. Rules cite kernel-semantics.md
// sections; every profile difference is a question asked of the profile.

import type { KernelProfile } from '../../../model/profile/profiles.ts';
import type { Insn } from '../../../model/bpf/insn.ts';
import { ERRNO } from '../../../model/abi/errno.ts';
import { IORING_OP_LAST, OP, opcodeName } from '../../../model/abi/opcodes.ts';
import { IORING_REGISTER_LAST, REG } from '../../../model/abi/register.ts';
import { FILTER_FLAGS, RESTRICTION, SETUP_FLAGS, SQE_FLAGS } from '../../../model/abi/flags.ts';
import type { CommandBody, RestrictionEntry, SqeSpec } from '../../trace/ast.ts';
import type { Obs, Step } from '../observe.ts';
import { validate } from '../../../model/bpf/validate.ts';
import { buildCtx, runCbpf } from './cbpf.ts';
import {
  EMPTY_HOLDER, EMPTY_TABLE, NO_LEGACY, slotOf, type Chain, type Holder, type Legacy, type PendingSqe, type RefCqe, type Ring,
  type Table, type Task, type World,
} from './state.ts';

const E = ERRNO;
const OP_LAST = IORING_OP_LAST;

/** Whether the kernel's cBPF loader accepts a program (injected: model/bpf or a stand-in). */
export type ProgramCheck = (insns: readonly Insn[], profile: KernelProfile) => boolean;

/** A stand-in loader check: length, a final RET, in-range aligned context loads. */
export const basicProgramCheck: ProgramCheck = (insns, p) => {
  if (insns.length === 0 || insns.length > 4096) return false;
  const last = insns[insns.length - 1].code;
  if (last !== 0x06 && last !== 0x16) return false;
  return insns.every((i) => i.code !== 0x20 || (i.k % 4 === 0 && i.k < p.ctx.size));
};

/** The loader's verdict from model/bpf (what programs are; how they run stays ours). */
export const kernelProgramCheck: ProgramCheck = (insns, p) => validate(insns, p).ok;

export interface RefOptions {
  checkProgram?: ProgramCheck;
}

const bit = (n: number): bigint => 1n << BigInt(n);
const ALL_OPS = (1n << BigInt(OP_LAST)) - 1n;
const has = (set: bigint, n: number): boolean => (set & bit(n)) !== 0n;

export class Reference {
  readonly profile: KernelProfile;
  private readonly checkProgram: ProgramCheck;
  constructor(profile: KernelProfile, opts: RefOptions = {}) {
    this.profile = profile;
    this.checkProgram = opts.checkProgram ?? kernelProgramCheck;
  }

  apply(w: World, step: Step): { world: World; obs: Obs } {
    const b = step.body;
    const ti = w.tasks.findIndex((t) => t.name === step.task);
    if (ti < 0 || !w.tasks[ti].alive) return { world: w, obs: { c: b.c, unstated: `no live task ${step.task}` } };
    const task = w.tasks[ti];
    const ringOf = (name: string): number | undefined => task.fds.get(name);
    const p = this.profile;
    switch (b.c) {
      case 'ring': {
        if (task.fds.has(b.ring)) return { world: w, obs: { c: 'ring', unstated: 'ring name rebound' } };
        const known = SETUP_FLAGS.R_DISABLED | SETUP_FLAGS.SUBMIT_ALL;
        if (b.flags & ~known || b.entries < 1 || b.entries > 32768) return { world: w, obs: { c: 'ring', unstated: 'setup flags/entries' } };
        const id = w.nextId;
        // §7.2: the ring takes a copy of the creating task's legacy sets and shares its table.
        let tasks = w.tasks;
        let rs: Holder = EMPTY_HOLDER;
        if (task.rs) {
          const cl = this.clone(task.rs);
          rs = cl.dst;
          tasks = replace(tasks, ti, { ...task, rs: cl.src });
        }
        const legacyArmedNow = p.legacy === '7.0';
        const ring: Ring = {
          creator: task.name,
          sqSize: 2 ** Math.ceil(Math.log2(b.entries)),
          rDisabled: (b.flags & SETUP_FLAGS.R_DISABLED) !== 0,
          submitAll: (b.flags & SETUP_FLAGS.SUBMIT_ALL) !== 0,
          rs,
          opRestricted: legacyArmedNow && rs.legacy.opReg,
          regRestricted: legacyArmedNow && rs.legacy.regReg,
          regListInherited: rs.legacy.regReg,
          armed: false,
          registered: false,
          pending: [],
          cq: [],
        };
        const t2 = tasks[ti];
        tasks = replace(tasks, ti, { ...t2, fds: withKey(t2.fds, b.ring, id) });
        return { world: { ...w, tasks, rings: withKey(w.rings, id, ring), nextId: id + 1 }, obs: { c: 'ring', ret: 0 } };
      }
      case 'close': {
        const id = ringOf(b.ring);
        if (id === undefined) return { world: w, obs: { c: 'close', unstated: 'unbound ring' } };
        const tasks = replace(w.tasks, ti, { ...task, fds: withoutKey(task.fds, b.ring) });
        return { world: gcRings({ ...w, tasks }), obs: { c: 'close', ret: 0 } };
      }
      case 'restrict': {
        if (b.target.kind === 'task') return this.restrictTask(w, ti, b.entries);
        const id = ringOf(b.target.ring);
        if (id === undefined) return { world: w, obs: { c: 'restrict', unstated: 'unbound ring' } };
        return this.restrictRing(w, id, b.entries);
      }
      case 'enable': {
        const id = ringOf(b.ring);
        if (id === undefined) return { world: w, obs: { c: 'enable', unstated: 'unbound ring' } };
        const r = w.rings.get(id)!;
        if (this.registerDenied(r, REG.ENABLE_RINGS)) return ret(w, 'enable', -E.EACCES);
        if (!r.rDisabled) return ret(w, 'enable', -E.EBADFD);
        // §9: before 7.0 the legacy restrictions are armed only now.
        const r2: Ring = { ...r, rDisabled: false, armed: p.legacy === 'pre-7.0' ? r.registered : r.armed };
        return ret(setRing(w, id, r2), 'enable', 0);
      }
      case 'register': {
        const id = ringOf(b.ring);
        if (id === undefined) return { world: w, obs: { c: 'register', unstated: 'unbound ring' } };
        if (b.op !== REG.PROBE) return { world: w, obs: { c: 'register', unstated: 'only PROBE is stated' } };
        if (this.registerDenied(w.rings.get(id)!, b.op)) return ret(w, 'register', -E.EACCES);
        return ret(w, 'register', 0);
      }
      case 'bpf':
        return this.bpf(w, ti, b);
      case 'sqe': {
        const id = ringOf(b.ring);
        if (id === undefined) return { world: w, obs: { c: 'sqe', unstated: 'unbound ring' } };
        const r = w.rings.get(id)!;
        const s = b.sqe;
        // A full SQ takes no more entries (the facade's convention for liburing's NULL sqe).
        if (r.pending.length >= r.sqSize) return { world: w, obs: { c: 'sqe', queued: -E.EBUSY, op: opcodeName(s.opcode), ud: s.ud.toString() } };
        const pend: PendingSqe = { opcode: s.opcode, flags: s.flags, ud: s.ud, fd: s.fd, off: s.off, len: s.len, addr: s.addr, opf: s.opf, buf: s.buf, fidx: s.fidx,
          extra: s.ioprio !== 0 || s.pers !== 0 || s.addr3 !== 0n || (s.opcode === OP.NOP && (s.fd !== 0 || s.off !== 0n || s.addr !== 0n || s.len !== 0 || s.opf !== 0 || s.buf !== 0 || s.fidx !== 0)) };
        const stated = sqeStated(s);
        const r2: Ring = { ...r, pending: [...r.pending, pend] };
        const obs: Obs = { c: 'sqe', queued: r2.pending.length, op: opcodeName(s.opcode), ud: s.ud.toString() };
        if (!stated) obs.unstated = 'sqe fields outside the stated alphabet';
        return { world: setRing(w, id, r2), obs };
      }
      case 'submit': {
        const id = ringOf(b.ring);
        if (id === undefined) return { world: w, obs: { c: 'submit', unstated: 'unbound ring' } };
        return this.submit(w, id);
      }
      case 'cqes': {
        const id = ringOf(b.ring);
        if (id === undefined) return { world: w, obs: { c: 'cqes', unstated: 'unbound ring' } };
        const r = w.rings.get(id)!;
        const cqes = r.cq.map((c): [string, number | 'fd', number] => [c.ud.toString(), c.res, c.flags]);
        const obs: Obs = r.cqUnstated ? { c: 'cqes', unstated: 'an earlier submission was not stated' } : { c: 'cqes', cqes };
        return { world: setRing(w, id, { ...r, cq: [], cqUnstated: false }), obs };
      }
      case 'nnp':
        return ret({ ...w, tasks: replace(w.tasks, ti, { ...task, nnp: true }) }, 'nnp', 0);
      case 'setuid': {
        if (task.uid !== 0 && b.uid !== task.uid) return ret(w, 'setuid', -E.EPERM);
        return ret({ ...w, tasks: replace(w.tasks, ti, { ...task, uid: b.uid }) }, 'setuid', 0);
      }
      case 'fork': {
        if (w.tasks.some((t) => t.name === b.child)) return { world: w, obs: { c: 'fork', unstated: 'task name reused' } };
        // §7.1: the child gets a new set with the legacy fields copied and the table shared.
        let parent = task;
        let crs: Holder | null = null;
        if (task.rs) {
          const cl = this.clone(task.rs);
          parent = { ...task, rs: cl.src };
          crs = cl.dst;
        }
        const child: Task = { name: b.child, alive: true, uid: task.uid, nnp: task.nnp, rs: crs, fds: task.fds };
        const tasks = [...replace(w.tasks, ti, parent), child];
        return ret({ ...w, tasks }, 'fork', 0);
      }
      case 'exit': {
        const tasks = replace(w.tasks, ti, { ...task, alive: false, fds: new Map(), rs: null });
        return ret(gcRings({ ...w, tasks }), 'exit', 0);
      }
    }
  }

  /** §3.3: dst shares src's table and is marked COW; 7.3 marks src too. */
  private clone(src: Holder): { src: Holder; dst: Holder } {
    if (src.table === null) return { src, dst: { legacy: src.legacy, table: null, cow: false } };
    const s2 = this.profile.cloneMarksSourceCow ? { ...src, cow: true } : src;
    return { src: s2, dst: { legacy: src.legacy, table: src.table, cow: true } };
  }

  /** §2.1.2 step 3 and §6.3 (with erratum 1), or the pre-7.0 armed check. */
  private registerDenied(r: Ring, op: number): boolean {
    if (this.profile.legacy === 'pre-7.0') return r.armed && !has(r.rs.legacy.regOps, op);
    if (!r.regRestricted) return false;
    if (r.rDisabled && !(this.profile.inheritedRegListBindsDisabled && r.regListInherited)) return false;
    return !has(r.rs.legacy.regOps, op);
  }

  private restrictRing(w: World, id: number, entries: RestrictionEntry[]): { world: World; obs: Obs } {
    const p = this.profile;
    const r = w.rings.get(id)!;
    if (this.registerDenied(r, REG.RESTRICTIONS)) return ret(w, 'restrict', -E.EACCES);
    if (!r.rDisabled) return ret(w, 'restrict', -E.EBADFD);
    if (p.legacy === 'pre-7.0') {
      if (r.registered) return ret(w, 'restrict', -E.EBUSY);
      const parsed = parse(entries, this.profile);
      if (typeof parsed === 'number') return ret(setRing(w, id, { ...r, rs: { ...r.rs, legacy: NO_LEGACY } }), 'restrict', parsed);
      // Before 7.0 both classes are checked once armed, whatever was registered.
      return ret(setRing(w, id, { ...r, registered: true, rs: { ...r.rs, legacy: parsed } }), 'restrict', 0);
    }
    if (r.rs.legacy.opReg || r.rs.legacy.regReg) return ret(w, 'restrict', -E.EBUSY);
    const parsed = parse(entries, this.profile);
    if (typeof parsed === 'number') {
      // §2.2 step 4: wipe the legacy sets; 7.0-final keeps the filter table.
      const rs: Holder = p.restrictionsParseFailureKeepsBpf ? { ...r.rs, legacy: NO_LEGACY } : EMPTY_HOLDER;
      return ret(setRing(w, id, { ...r, rs }), 'restrict', parsed);
    }
    const r2: Ring = { ...r, rs: { ...r.rs, legacy: parsed }, opRestricted: parsed.opReg, regRestricted: parsed.regReg, regListInherited: false };
    return ret(setRing(w, id, r2), 'restrict', 0);
  }

  private restrictTask(w: World, ti: number, entries: RestrictionEntry[]): { world: World; obs: Obs } {
    const p = this.profile;
    const t = w.tasks[ti];
    if (!p.taskRestrictions) return ret(w, 'restrict', -p.noBlindErrno);
    if (this.ownListDenies(t, REG.RESTRICTIONS)) return ret(w, 'restrict', -E.EACCES);
    if (t.rs !== null) return ret(w, 'restrict', -E.EPERM);
    if (!this.privileged(t)) return ret(w, 'restrict', -E.EACCES);
    const parsed = parse(entries, this.profile);
    if (typeof parsed === 'number') return ret(w, 'restrict', parsed);
    return ret({ ...w, tasks: replace(w.tasks, ti, { ...t, rs: { legacy: parsed, table: null, cow: false } }) }, 'restrict', 0);
  }

  /** Erratum 4 (7.3): task registrations are checked against the task's own register list. */
  private ownListDenies(t: Task, op: number): boolean {
    return this.profile.taskRegisterCheckedAgainstOwnList && t.rs !== null && t.rs.legacy.regReg && !has(t.rs.legacy.regOps, op);
  }

  private privileged(t: Task): boolean {
    return !this.profile.taskRegistrationPrivileged || t.nnp || t.uid === 0;
  }

  private bpf(w: World, ti: number, b: Extract<CommandBody, { c: 'bpf' }>): { world: World; obs: Obs } {
    const p = this.profile;
    const t = w.tasks[ti];
    if (Object.keys(b.raw).length > 0) return { world: w, obs: { c: 'bpf', unstated: 'raw overrides' } };
    let ringId: number | undefined;
    if (b.target.kind === 'task') {
      if (!p.taskRestrictions || !p.bpfFilters) return ret(w, 'bpf', -p.noBlindErrno);
      if (this.ownListDenies(t, REG.BPF_FILTER)) return ret(w, 'bpf', -E.EACCES);
      if (!this.privileged(t)) return ret(w, 'bpf', -E.EACCES);
    } else {
      // Before 7.0, BPF_FILTER is past IORING_REGISTER_LAST: -EINVAL before the fd is looked at.
      if (!p.bpfFilters) return ret(w, 'bpf', -E.EINVAL);
      ringId = t.fds.get(b.target.ring);
      if (ringId === undefined) return { world: w, obs: { c: 'bpf', unstated: 'unbound ring' } };
      if (this.registerDenied(w.rings.get(ringId)!, REG.BPF_FILTER)) return ret(w, 'bpf', -E.EACCES);
    }
    // §2.4 A: import.
    if (b.op >= IORING_OP_LAST) return ret(w, 'bpf', -E.EINVAL);
    if (b.flags & ~p.filterFlagsMask) return ret(w, 'bpf', -E.EINVAL);
    if (b.insns.length === 0 || b.insns.length > 4096) return ret(w, 'bpf', -E.EINVAL);
    let pdu: number | undefined;
    if (p.pduNegotiation) {
      const K = p.pduSizes[b.op] ?? 0;
      const U = b.pdu ?? K;
      pdu = K;
      if (U !== K && ((b.flags & FILTER_FLAGS.SZ_STRICT) !== 0 || U > K)) return { world: w, obs: { c: 'bpf', ret: -E.EMSGSIZE, pdu } };
    } else if (b.pdu !== null && b.pdu !== 0) {
      return ret(w, 'bpf', -E.EINVAL);
    }
    const done = (world: World, r: number): { world: World; obs: Obs } => {
      const obs: Obs = { c: 'bpf', ret: r };
      if (pdu !== undefined) obs.pdu = pdu;
      return { world, obs };
    };
    // §2.4 B: the program.
    if (!this.checkProgram(b.insns, p)) return done(w, -E.EINVAL);
    // §2.4 C–E: pick or copy the table, push the predicate, DENY_REST fills empty slots.
    const holder = b.target.kind === 'task' ? (t.rs ?? EMPTY_HOLDER) : w.rings.get(ringId!)!.rs;
    const { world: w2, holder: h2 } = this.push(w, holder, b.op, { name: b.program, insns: b.insns }, (b.flags & FILTER_FLAGS.DENY_REST) !== 0);
    if (b.target.kind === 'task') return done({ ...w2, tasks: replace(w2.tasks, ti, { ...t, rs: h2 }) }, 0);
    const r = w2.rings.get(ringId!)!;
    return done(setRing(w2, ringId!, { ...r, rs: h2 }), 0);
  }

  private push(w: World, h: Holder, op: number, pred: { name: string; insns: readonly Insn[] }, denyRest: boolean): { world: World; holder: Holder } {
    let id: number;
    let nextId = w.nextId;
    let base: Table;
    if (h.table === null || h.cow) {
      // A fresh table, or this holder's private copy of the shared one (§3.3).
      id = nextId++;
      base = h.table === null ? EMPTY_TABLE : w.tables.get(h.table)!;
    } else {
      // Shared without COW: changed in place, every holder of this table sees it.
      id = h.table;
      base = w.tables.get(id)!;
    }
    const chains = new Map(base.chains);
    chains.set(op, [pred, ...(slotOf(base, op) ?? [])]);
    let deny = base.deny & ~bit(op);
    if (denyRest) {
      // Fill every slot that is empty now: not a chain, not already DENY.
      let occupied = deny;
      for (const k of chains.keys()) occupied |= bit(k);
      deny |= ALL_OPS & ~occupied;
    }
    const table: Table = { chains, deny };
    return { world: { ...w, tables: withKey(w.tables, id, table), nextId }, holder: { ...h, table: id, cow: false } };
  }

  /** §4.1–§4.4 for every pending SQE of the ring. */
  private submit(w: World, id: number): { world: World; obs: Obs } {
    const r = w.rings.get(id)!;
    if (r.rDisabled) return { world: w, obs: { c: 'submit', ret: -E.EBADFD, left: r.pending.length } };
    const table = r.rs.table === null ? undefined : w.tables.get(r.rs.table);
    type Member = { sqe: PendingSqe; res: number | null };
    const done: { cqe: RefCqe; round: number; seq: number }[] = [];
    let seq = 0;
    let unstated: string | undefined;
    let chain: Member[] | null = null;
    const LINKS = SQE_FLAGS.IO_LINK | SQE_FLAGS.IO_HARDLINK;
    const SKIP = SQE_FLAGS.CQE_SKIP_SUCCESS;
    const post = (sqe: PendingSqe, res: number | 'fd', round: number, failed: boolean) => {
      if (!failed && sqe.flags & SKIP) return;
      done.push({ cqe: { ud: sqe.ud, res, flags: 0 }, round, seq: seq++ });
    };
    const issue = (sqe: PendingSqe): number | 'fd' => {
      if (sqe.flags & SQE_FLAGS.ASYNC) unstated = 'ASYNC execution';
      if (sqe.opcode !== OP.SOCKET) return 0;
      // Sockets of the families and types every test kernel has; others are not stated.
      if (![1, 2, 10].includes(sqe.fd) || ![1, 2].includes(Number(sqe.off & 0xfn)) || sqe.len !== 0) unstated = 'socket kind';
      return 'fd';
    };
    const flush = (c: Member[]) => {
      const head = c[0];
      if (head.res !== null) {
        // A failed chain: nothing runs; the head fails inline, then one task-work item
        // fails every member at once (io_req_tw_fail_links; checked on 7.3.4, where
        // two failed chains give head1 head2 members1 members2).
        const skipLinks = (head.sqe.flags & SKIP) !== 0;
        post(head.sqe, head.res, 0, true);
        for (const m of c.slice(1)) if (!skipLinks) post(m.sqe, m.res ?? -E.ECANCELED, 1, true);
      } else {
        c.forEach((m, k) => post(m.sqe, issue(m.sqe), k, false));
      }
    };
    let submitted = 0;
    for (const sqe of r.pending) {
      submitted++;
      const err = this.init(r, table, sqe);
      if (err === 'unstated') { unstated = 'request outside the stated alphabet'; break; }
      const linked = (sqe.flags & LINKS) !== 0;
      if (err !== 0) {
        if (chain && chain[0].res === null) chain[0].res = -E.ECANCELED;
        if (linked) { (chain ??= []).push({ sqe, res: err }); continue; }
        if (chain) { chain.push({ sqe, res: err }); flush(chain); chain = null; }
        else post(sqe, err, 0, true);
        if (!r.submitAll) break;
        continue;
      }
      if (chain) {
        chain.push({ sqe, res: null });
        if (!linked) { flush(chain); chain = null; }
      } else if (linked) chain = [{ sqe, res: null }];
      else post(sqe, issue(sqe), 0, false);
    }
    if (chain) flush(chain);
    done.sort((a, b) => a.round - b.round || a.seq - b.seq);
    const r2: Ring = { ...r, pending: r.pending.slice(submitted), cq: [...r.cq, ...done.map((d) => d.cqe)] };
    if (unstated) r2.cqUnstated = true;
    const obs: Obs = { c: 'submit', ret: submitted, left: r2.pending.length };
    if (unstated) obs.unstated = unstated;
    return { world: setRing(w, id, r2), obs };
  }

  /** §4.1 steps 1–7 for one SQE: 0, -errno, or 'unstated'. */
  private init(r: Ring, table: Table | undefined, sqe: PendingSqe): number | 'unstated' {
    const p = this.profile;
    if (sqe.opcode >= (p.opLast ?? OP_LAST)) return -E.EINVAL;
    if (sqe.flags & 0x80) return -E.EINVAL;
    if (sqe.flags & (SQE_FLAGS.FIXED_FILE | SQE_FLAGS.IO_DRAIN | SQE_FLAGS.BUFFER_SELECT)) return 'unstated';
    if (sqe.opcode !== OP.NOP && sqe.opcode !== OP.SOCKET) return 'unstated';
    // §6.2 legacy check on the raw flags byte (pre-7.0: once armed by ENABLE_RINGS).
    const armed = p.legacy === 'pre-7.0' ? r.armed : r.opRestricted;
    if (armed) {
      const l = r.rs.legacy;
      if (!has(l.sqeOps, sqe.opcode)) return -E.EACCES;
      if ((sqe.flags & l.required) !== l.required) return -E.EACCES;
      if (sqe.flags & ~(l.allowed | l.required)) return -E.EACCES;
    }
    // §4.1 step 5 and NOP's own options are not part of this statement.
    if (sqe.extra) return 'unstated';
    // Prep (§4.3 SOCKET): stray fields and unknown type flags are -EINVAL before any filter.
    if (sqe.opcode === OP.SOCKET) {
      const type = Number(sqe.off & 0xffffffffn);
      if (sqe.addr !== 0n || sqe.opf !== 0 || sqe.buf !== 0) return -E.EINVAL;
      if (type & ~(0xf | 0x800 | 0x80000)) return -E.EINVAL;
      if (sqe.fidx !== 0 && type & 0x80000) return -E.EINVAL;
      if (sqe.off >> 32n) return 'unstated';
    }
    // §4.2: the chain, newest first; all must allow.
    const chain: Chain | undefined = table && slotOf(table, sqe.opcode);
    if (chain) {
      const ctx = buildCtx(p, { opcode: sqe.opcode, flags: sqe.flags & 0x7f, ud: sqe.ud, fd: sqe.fd, off: sqe.off, len: sqe.len });
      for (const f of chain) {
        if (f === 'DENY') return -E.EACCES;
        if (runCbpf(f.insns, ctx, p.ctx.size) === 0) return -E.EACCES;
      }
    }
    return 0;
  }
}

/** §2.2.1: the legacy sets an entry list gives, or -errno. */
function parse(entries: RestrictionEntry[], p: KernelProfile): Legacy | number {
  // The kernel's own IORING_OP_LAST / IORING_REGISTER_LAST (6.18 knows fewer ops than 7.x).
  const opLast = p.opLast ?? OP_LAST;
  const regLast = p.registerOpLast ?? IORING_REGISTER_LAST;
  if (entries.length > 4 + opLast + regLast) return -E.EINVAL;
  const l = { ...NO_LEGACY };
  for (const e of entries) {
    switch (e.type) {
      case RESTRICTION.REGISTER_OP:
        if (e.value >= regLast) return -E.EINVAL;
        l.regOps |= bit(e.value); l.regReg = true; break;
      case RESTRICTION.SQE_OP:
        if (e.value >= opLast) return -E.EINVAL;
        l.sqeOps |= bit(e.value); l.opReg = true; break;
      case RESTRICTION.SQE_FLAGS_ALLOWED: l.allowed = e.value & 0xff; l.opReg = true; break;
      case RESTRICTION.SQE_FLAGS_REQUIRED: l.required = e.value & 0xff; l.opReg = true; break;
      default: return -E.EINVAL;
    }
  }
  if (entries.length === 0) { l.opReg = true; l.regReg = true; }
  return l;
}

function sqeStated(s: SqeSpec): boolean {
  return s.path === undefined && s.how === undefined && s.sockaddr === undefined;
}

function ret(world: World, c: Obs['c'], r: number): { world: World; obs: Obs } {
  return { world, obs: { c, ret: r } };
}

function replace<T>(a: readonly T[], i: number, v: T): T[] {
  const b = a.slice();
  b[i] = v;
  return b;
}

function withKey<K, V>(m: ReadonlyMap<K, V>, k: K, v: V): Map<K, V> {
  const n = new Map(m);
  n.set(k, v);
  return n;
}

function withoutKey<K, V>(m: ReadonlyMap<K, V>, k: K): Map<K, V> {
  const n = new Map(m);
  n.delete(k);
  return n;
}

function setRing(w: World, id: number, r: Ring): World {
  return { ...w, rings: withKey(w.rings, id, r) };
}

/** Rings no fd refers to any more are gone (with their pending SQEs and CQEs). */
function gcRings(w: World): World {
  const live = new Set<number>();
  for (const t of w.tasks) for (const id of t.fds.values()) live.add(id);
  if (live.size === w.rings.size) return w;
  const rings = new Map([...w.rings].filter(([id]) => live.has(id)));
  return { ...w, rings };
}
