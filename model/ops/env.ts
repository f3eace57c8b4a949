// What an opcode's prep and issue see and change: the submitter's credentials and
// fd table, the file system, the ring. The submission engine owns one OpEnv per
// io_uring_enter and commits its fds/fs back into the world afterwards.

import type { KernelProfile } from '../profile/profiles.ts';
import type { FsState } from '../fs/fs.ts';
import type { Ring } from '../ring/ring.ts';
import type { Sqe } from '../ring/sqe.ts';
import type { FdTable } from '../task/fd.ts';

export interface OpEnv {
  readonly profile: KernelProfile;
  readonly ring: Ring;
  readonly uid: number;
  readonly cap: boolean;
  /** The submitter's fd table; issue replaces it when it installs or closes an fd. */
  fds: FdTable;
  fs: FsState;
}

/** What prep hands to the filter and to issue. */
export interface Prepared {
  /** REQ_F_FORCE_ASYNC set by prep (OPENAT with O_CREAT/O_TRUNC/__O_TMPFILE). */
  forceAsync: boolean;
  /** The prepared open_how (OPENAT, OPENAT2). */
  open?: { flags: bigint; mode: bigint; resolve: bigint };
}

export interface Issued {
  /** The CQE res. */
  res: number;
  /** REQ_F_FAIL: breaks a (soft) link chain. Usually res < 0; NOP can differ. */
  failed: boolean;
  /** Completes after the submit call's inline completions (io-wq, poll retry, task work). */
  deferred: boolean;
  /** The model has no result for this case (res is -EOPNOTSUPP); the kernel reports it as not modelled. */
  unmodelled?: boolean;
}

export interface OpHandler {
  /** def->prep: a negative errno fails the request before the filters run. */
  prep(sqe: Sqe, env: OpEnv): Prepared | number;
  /** def->issue, with file lookup. `async` is true when it runs from io-wq (forced async). */
  issue(sqe: Sqe, p: Prepared, env: OpEnv, async: boolean): Issued;
}

export const PREPARED: Prepared = Object.freeze({ forceAsync: false });

export function issued(res: number, deferred = false): Issued {
  return { res, failed: res < 0, deferred };
}

/** A case the model does not complete: -EOPNOTSUPP, flagged (docs/model.md lists them). */
export const UNMODELLED: Issued = Object.freeze({ res: -95, failed: true, deferred: false, unmodelled: true });
