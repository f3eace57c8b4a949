// The whole simulated kernel state as one immutable value. Control-plane calls
// build a new World that shares every untouched part with the old one (persistent
// maps for tasks, rings, tables and node refcounts), so a caller can keep old
// worlds, branch from them and go back.

import { IntMap } from '../pmap/intmap.ts';
import { EMPTY_STORE, type FilterStore } from '../filter/table.ts';
import { INITIAL_FS, type FsState } from '../fs/fs.ts';
import type { Ring } from '../ring/ring.ts';
import type { Sqe, Cqe } from '../ring/sqe.ts';
import { INIT_FDS } from '../task/fd.ts';
import type { Pid, Task } from '../task/task.ts';

/** A ring's runtime queues as captured in a snapshot (see sim/syscall/kernel.ts). */
export interface QueueState {
  readonly sq: readonly Sqe[];
  readonly cq: readonly Cqe[];
  /** ctx->drain_disabled: CQE_SKIP_SUCCESS was used on this ring. */
  readonly drainDisabled: boolean;
}

export interface World {
  readonly tasks: IntMap<Task>;
  readonly rings: IntMap<Ring>;
  readonly filters: FilterStore;
  readonly fs: FsState;
  readonly nextPid: Pid;
  readonly nextRing: number;
  /** Table references leaked by a kernel bug (7.0-merge parse failure, §8.18): table id → count. */
  readonly leaked: IntMap<number>;
  /** Runtime queues at the time this value was taken; null in worlds not handed out. */
  readonly queues: IntMap<QueueState> | null;
}

export const INIT_PID: Pid = 1;

/** A fresh world: one task, init (uid 0, CAP_SYS_ADMIN, nnp off, no restrictions, no rings). */
export function initialWorld(): World {
  const init: Task = Object.freeze({ pid: INIT_PID, ppid: null, uid: 0, cap: true, nnp: false, fds: INIT_FDS, rs: null });
  return Object.freeze({
    tasks: IntMap.empty<Task>().set(INIT_PID, init),
    rings: IntMap.empty<Ring>(),
    filters: EMPTY_STORE,
    fs: INITIAL_FS,
    nextPid: INIT_PID + 1,
    nextRing: 1,
    leaked: IntMap.empty<number>(),
    queues: null,
  });
}
