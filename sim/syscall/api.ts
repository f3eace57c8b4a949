// The system-call facade's contract: what a replayer (or the explorer) may ask of
// the simulated kernel. Calls are made on behalf of a task, name fds by number, and
// return what the real system call returns (a value, or -errno).
//
// Control-plane calls (setup, register, fork, exit, ...) replace the kernel's world
// with a new immutable value; `world` can be read and `restore`d at any time, so
// callers can branch and go back. Data-plane calls (queueSqe, enter, reapCqes) must
// not copy the world.

import type { Insn } from '../../model/bpf/insn.ts';
import type { KernelProfile } from '../../model/profile/profiles.ts';
import type { BpfRaw, RestrictionEntry, SqeSpec } from './requests.ts';

/** A task id. The first task (`init`, uid 0, CAP_SYS_ADMIN) is INIT_PID. */
export type Pid = number;
export const INIT_PID: Pid = 1;

import type { Cqe } from '../../model/ring/sqe.ts';
export type { Cqe };

export interface BpfRegistration {
  opcode: number;
  flags: number;
  /** pdu_size as passed; null means the kernel's payload size for the opcode. */
  pdu: number | null;
  insns: readonly Insn[];
  raw: BpfRaw;
  /** The program's name in the trace, kept on the filter node for narration (optional). */
  label?: string;
}

export interface Syscalls<World = unknown> {
  readonly profile: KernelProfile;
  /** The current world: an immutable value. */
  readonly world: World;
  /** Go back to (or forward to) a world this kernel produced. */
  restore(world: World): void;

  /** io_uring_setup: the new ring's fd, or -errno. */
  setup(pid: Pid, entries: number, flags: number): number;
  close(pid: Pid, fd: number): number;
  /** IORING_REGISTER_RESTRICTIONS on a ring fd, or on the task with fd -1. */
  registerRestrictions(pid: Pid, fd: number, entries: RestrictionEntry[]): number;
  /** IORING_REGISTER_ENABLE_RINGS. */
  enableRings(pid: Pid, fd: number): number;
  /** Any other register op, with a valid argument made up by the facade (at least PROBE). */
  register(pid: Pid, fd: number, op: number): number;
  /** IORING_REGISTER_BPF_FILTER on a ring fd or fd -1; `pdu` is the written-back pdu_size, if any. */
  registerBpf(pid: Pid, fd: number, reg: BpfRegistration): { ret: number; pdu?: number };

  /** Write the next SQE into the ring's SQ (user memory); returns SQEs now pending, or -errno for a bad fd. */
  queueSqe(pid: Pid, fd: number, sqe: SqeSpec): number;
  /** io_uring_enter with every pending SQE: submitted count or -errno, and what is left. */
  enter(pid: Pid, fd: number): { ret: number; left: number };
  /** Every CQE now in the ring's CQ, in the kernel's order. */
  reapCqes(pid: Pid, fd: number): Cqe[] | number;

  /** prctl(PR_SET_NO_NEW_PRIVS, 1). */
  setNoNewPrivs(pid: Pid): number;
  /** setresuid(uid, uid, uid). */
  setresuid(pid: Pid, uid: number): number;
  /** fork: 0 and the child's pid, or -errno. */
  fork(pid: Pid): { ret: number; child?: Pid };
  exit(pid: Pid): number;
}
