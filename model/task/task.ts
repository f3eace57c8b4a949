// A task (kernel-semantics.md §7.1, trace-format.md "The world a trace runs in"):
// credentials, no_new_privs, the fd table and task->io_uring_restrict.

import type { RestrictionSet } from '../restriction/set.ts';
import type { FdTable } from './fd.ts';

export type Pid = number;

export interface Task {
  readonly pid: Pid;
  /** The task that forked this one (null for init). */
  readonly ppid: Pid | null;
  /** Real = effective = saved uid (the trace only sets all three). gid stays 0. */
  readonly uid: number;
  /** CAP_SYS_ADMIN (and the other capabilities) in the task's user namespace. */
  readonly cap: boolean;
  readonly nnp: boolean;
  readonly fds: FdTable;
  /** task->io_uring_restrict, or null. */
  readonly rs: RestrictionSet | null;
}

/** A task record (one object shape for all of them: forks make a million). */
export function makeTask(pid: Pid, ppid: Pid | null, uid: number, cap: boolean, nnp: boolean, fds: FdTable, rs: RestrictionSet | null): Task {
  return { pid, ppid, uid, cap, nnp, fds, rs };
}

/** The privilege rule of task registration (§2.3 step 2, §2.6 step 1). */
export function mayRegisterTaskRestrictions(t: Task): boolean {
  return t.nnp || t.cap;
}
