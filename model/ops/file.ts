// The file lookup io_issue_sqe does for opcodes with def->needs_file (io_assign_file):
// fget() on the submitter's table, or the ring's registered file table for
// IOSQE_FIXED_FILE. fget() skips O_PATH files (FMODE_PATH), so they are -EBADF like a
// closed fd. The model's registered tables are sparse: a fixed lookup never finds a file.

import { SQE_FLAGS } from '../abi/flags.ts';
import { O } from '../abi/net.ts';
import type { Sqe } from '../ring/sqe.ts';
import type { FdEntry } from '../task/fd.ts';
import type { OpEnv } from './env.ts';

/** The file behind sqe->fd, or undefined (the request completes with -EBADF). */
export function lookupFile(sqe: Sqe, env: OpEnv): FdEntry | undefined {
  if (sqe.flags & SQE_FLAGS.FIXED_FILE || sqe.fd < 0) return undefined;
  const e = env.fds[sqe.fd];
  if (e && e.kind === 'file' && e.flags & O.O_PATH) return undefined;
  return e;
}

/** What a file entry is, as far as read/write/fsync results go. */
export type FileKind = 'null' | 'console' | 'dir' | 'init' | 'reg' | 'socket' | 'ring';

export function fileKind(e: FdEntry): FileKind {
  if (e.kind !== 'file') return e.kind;
  if (e.dir) return 'dir';
  if (e.path === '/dev/null') return 'null';
  if (e.path === '/dev/console') return 'console';
  // /init is the only file of the trace world with contents; files a trace creates stay
  // empty, since no write of the model ever transfers a byte (traces have no buffers).
  return e.path === '/init' ? 'init' : 'reg';
}

/** FMODE_READ / FMODE_WRITE: OPEN_FMODE(flags) = (flags + 1) & O_ACCMODE, so access mode 3 gives neither. */
export function canRead(e: FdEntry): boolean {
  if (e.kind !== 'file') return true;
  const acc = e.flags & O.O_ACCMODE;
  return acc === O.O_RDONLY || acc === O.O_RDWR;
}

export function canWrite(e: FdEntry): boolean {
  if (e.kind !== 'file') return true;
  const acc = e.flags & O.O_ACCMODE;
  return acc === O.O_WRONLY || acc === O.O_RDWR;
}
