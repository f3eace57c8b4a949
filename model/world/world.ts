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
import { makeTask, type Pid, type Task } from '../task/task.ts';

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
  /**
   * Runtime queues at the time this value was taken. Worlds the kernel builds
   * internally carry their source's, which may be stale: only the kernel's `world`
   * getter hands worlds out, and it sets the current ones (sim/syscall/kernel.ts).
   */
  readonly queues: IntMap<QueueState> | null;
}

export const INIT_PID: Pid = 1;

/** A world from its parts (one object shape for every world value). */
export function makeWorld(
  tasks: IntMap<Task>, rings: IntMap<Ring>, filters: FilterStore, fs: FsState,
  nextPid: Pid, nextRing: number, leaked: IntMap<number>, queues: IntMap<QueueState> | null,
): World {
  return { tasks, rings, filters, fs, nextPid, nextRing, leaked, queues };
}

export function withTasks(w: World, tasks: IntMap<Task>): World {
  return makeWorld(tasks, w.rings, w.filters, w.fs, w.nextPid, w.nextRing, w.leaked, w.queues);
}

export function withFilters(w: World, filters: FilterStore): World {
  return makeWorld(w.tasks, w.rings, filters, w.fs, w.nextPid, w.nextRing, w.leaked, w.queues);
}

/** A fresh world: one task, init (uid 0, CAP_SYS_ADMIN, nnp off, no restrictions, no rings). */
export function initialWorld(): World {
  const init = makeTask(INIT_PID, null, 0, true, false, INIT_FDS, null);
  return makeWorld(IntMap.empty<Task>().set(INIT_PID, init), IntMap.empty<Ring>(), EMPTY_STORE, INITIAL_FS, INIT_PID + 1, 1, IntMap.empty<number>(), null);
}
