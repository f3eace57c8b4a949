// The replayer: runs one parsed trace on a fresh simulated kernel for a profile,
// produces one record per command, and checks every expectation. It keeps going
// after a failed expectation (so the records are complete) and remembers the
// first failure. Task names map to pids and, per task, ring names to fds; a
// forked child starts with a copy of its parent's names.

import { rfError, type RfError } from '../../model/errors.ts';
import { opcodeName } from '../../model/abi/opcodes.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import { INIT_PID, type Pid, type Syscalls } from '../syscall/api.ts';
import type { Trace, TraceCommand, TraceRecord } from './ast.ts';
import { checkExpectation, type ExpectationFailure } from './expect.ts';
import { FdUserData } from './fdops.ts';
import { INIT_TASK } from './parse.ts';

/** The fd a ring name refers to after its setup failed: one no task ever holds (the kernel answers -EBADF). */
export const NO_RING_FD = 1 << 20;

/** A violated invariant: after which command, what, and the state then. */
export interface InvariantViolation {
  command: TraceCommand;
  message: string;
  /** The state after the command, as text (for the report). */
  state: string;
}

/**
 * What the replayer asks after every step when invariants are on. `prev` is the
 * world before the step. Returns the violations (empty when all hold).
 */
export type InvariantCheck<W = unknown> = (kernel: Syscalls<W>, prev: W, command: TraceCommand) => { message: string; state: string }[];

export interface ReplayOptions<W = unknown> {
  /** Makes a fresh kernel for the profile. */
  createKernel: (profile: KernelProfile) => Syscalls<W>;
  /** Checked after every command unless absent. */
  invariants?: InvariantCheck<W>;
  /** Called after each command with its record and the live names (explain uses it to describe the state). */
  onStep?: (command: TraceCommand, record: TraceRecord, kernel: Syscalls<W>, names: TraceNames) => void;
}

export interface ReplayResult {
  trace: Trace;
  profile: KernelProfile;
  records: TraceRecord[];
  /** The first expectation that did not hold. */
  failure?: ExpectationFailure;
  /** How many expectations failed in all. */
  failures: number;
  /** A run-time reference that could not be resolved: the replay stopped there. */
  error?: RfError;
  /** The first invariant violation: the replay stopped there. */
  violation?: InvariantViolation;
  /** Opcodes issued that the kernel model gives no real result for (it completes them with -EOPNOTSUPP). */
  unmodelled?: string[];
}

export function replayPassed(r: ReplayResult): boolean {
  return r.failures === 0 && !r.error && !r.violation;
}

interface TaskState {
  pid: Pid;
  rings: Map<string, number>;
}

/** The trace's names for live tasks (pid) and, per task, for its ring fds. */
export type TraceNames = ReadonlyMap<string, { readonly pid: Pid; readonly rings: ReadonlyMap<string, number> }>;

/** Run one trace under one profile. */
export function replayTrace<W>(trace: Trace, profile: KernelProfile, opts: ReplayOptions<W>): ReplayResult {
  const k = opts.createKernel(profile);
  const tasks = new Map<string, TaskState>([[INIT_TASK, { pid: INIT_PID, rings: new Map() }]]);
  const fds = new FdUserData();
  const result: ReplayResult = { trace, profile, records: [], failures: 0 };

  for (const cmd of trace.commands) {
    const t = tasks.get(cmd.task);
    if (!t) {
      result.error = rfError('name', `task ${cmd.task} does not exist at this point of the replay`, cmd.loc, 'a task made by `fork`');
      break;
    }
    const ringFd = (name: string): number | undefined => t.rings.get(name);
    const needRing = (name: string): number | undefined => {
      const fd = ringFd(name);
      if (fd === undefined) {
        result.error = rfError('name', `task ${cmd.task} has no ring ${name} at this point of the replay`, cmd.loc, 'a ring made by `ring NAME` first');
      }
      return fd;
    };
    const prev = k.world;
    const rec: TraceRecord = { trace: trace.name, i: cmd.i, task: cmd.task, c: cmd.c };

    switch (cmd.c) {
      case 'ring': {
        const fd = k.setup(t.pid, cmd.entries, cmd.flags);
        t.rings.set(cmd.ring, fd >= 0 ? fd : NO_RING_FD);
        rec.ret = fd >= 0 ? 0 : fd;
        break;
      }
      case 'close': {
        const fd = needRing(cmd.ring);
        if (fd === undefined) break;
        rec.ret = k.close(t.pid, fd);
        break;
      }
      case 'restrict': {
        const fd = cmd.target.kind === 'task' ? -1 : needRing(cmd.target.ring);
        if (fd === undefined) break;
        rec.ret = k.registerRestrictions(t.pid, fd, cmd.entries);
        break;
      }
      case 'enable': {
        const fd = needRing(cmd.ring);
        if (fd === undefined) break;
        rec.ret = k.enableRings(t.pid, fd);
        break;
      }
      case 'register': {
        const fd = needRing(cmd.ring);
        if (fd === undefined) break;
        rec.ret = k.register(t.pid, fd, cmd.op);
        break;
      }
      case 'bpf': {
        const fd = cmd.target.kind === 'task' ? -1 : needRing(cmd.target.ring);
        if (fd === undefined) break;
        const r = k.registerBpf(t.pid, fd, { opcode: cmd.op, flags: cmd.flags, pdu: cmd.pdu, insns: cmd.insns, raw: cmd.raw, label: cmd.program });
        rec.ret = r.ret;
        if (r.pdu !== undefined) rec.pdu = r.pdu;
        break;
      }
      case 'sqe': {
        const fd = needRing(cmd.ring);
        if (fd === undefined) break;
        rec.queued = k.queueSqe(t.pid, fd, cmd.sqe);
        rec.op = opcodeName(cmd.sqe.opcode);
        rec.ud = cmd.sqe.ud.toString();
        fds.note(rec.ud, rec.op);
        break;
      }
      case 'submit': {
        const fd = needRing(cmd.ring);
        if (fd === undefined) break;
        const r = k.enter(t.pid, fd);
        rec.ret = r.ret;
        rec.left = r.left;
        break;
      }
      case 'cqes': {
        const fd = needRing(cmd.ring);
        if (fd === undefined) break;
        const r = k.reapCqes(t.pid, fd);
        // A ring that cannot be reaped (a bad fd) gives its errno as `ret` (a ringfence extension).
        if (typeof r === 'number') rec.ret = r;
        else rec.cqes = r.map((q) => [q.userData.toString(), q.res, q.flags]);
        break;
      }
      case 'nnp':
        rec.ret = k.setNoNewPrivs(t.pid);
        break;
      case 'setuid':
        rec.ret = k.setresuid(t.pid, cmd.uid);
        break;
      case 'fork': {
        const r = k.fork(t.pid);
        rec.ret = r.ret;
        if (r.child !== undefined) tasks.set(cmd.child, { pid: r.child, rings: new Map(t.rings) });
        break;
      }
      case 'exit':
        rec.ret = k.exit(t.pid);
        tasks.delete(cmd.task);
        break;
    }
    if (result.error) break;
    result.records.push(rec);
    const failed = checkExpectation(cmd, rec, fds);
    if (failed) {
      result.failures++;
      result.failure ??= failed;
    }
    opts.onStep?.(cmd, rec, k, tasks);
    if (opts.invariants) {
      const v = opts.invariants(k, prev, cmd);
      if (v.length) {
        result.violation = { command: cmd, message: v.map((x) => x.message).join('; '), state: v[0].state };
        break;
      }
    }
  }
  const unmodelled = (k as { unmodelled?: ReadonlySet<string> }).unmodelled;
  if (unmodelled?.size) result.unmodelled = [...unmodelled];
  return result;
}
