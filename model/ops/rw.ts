// IORING_OP_READ, WRITE, READV, WRITEV (io_uring/rw.c). Prep (io_prep_rw) imports the
// buffer: READ/WRITE through import_ubuf (the length clamped to MAX_RW_COUNT, then
// access_ok, -EFAULT), READV/WRITEV by copying the iovec array (more than UIO_MAXIOV
// entries is -EINVAL, and a trace has no array to copy, so 1..UIO_MAXIOV is -EFAULT).
// Issue: the file lookup (-EBADF), io_rw_init_file (the open mode, -EBADF; rw_flags,
// -EOPNOTSUPP for unknown bits), rw_verify_area on the position (-EINVAL), then the
// file's read_iter/write_iter or read/write on the trace world's files.

import { ERRNO } from '../abi/errno.ts';
import { OP } from '../abi/opcodes.ts';
import type { Sqe } from '../ring/sqe.ts';
import { recvUnconnected, sendUnconnected } from '../net/io.ts';
import { type Issued, type OpEnv, type OpHandler, PREPARED, UNMODELLED, issued } from './env.ts';
import { canRead, canWrite, fileKind, lookupFile } from './file.ts';
import { UIO_MAXIOV, importUbuf } from './memory.ts';

const RWF_NOWAIT = 0x8;
const RWF_APPEND = 0x10;
const RWF_NOAPPEND = 0x20;
const LLONG_MAX = (1n << 63n) - 1n;

const vectored = (op: number) => op === OP.READV || op === OP.WRITEV;

/** ioprio_check_cap: class (bits 13-15) and level (bits 0-2); hints are not checked. */
export function ioprioCheckCap(ioprio: number, cap: boolean): number {
  const level = ioprio & 7;
  switch ((ioprio >> 13) & 7) {
    case 0: return level ? -ERRNO.EINVAL : 0; // NONE
    case 1: return cap ? 0 : -ERRNO.EPERM; // RT (a 3-bit level is always below IOPRIO_NR_LEVELS)
    case 2: // BE
    case 3: return 0; // IDLE
    default: return -ERRNO.EINVAL;
  }
}

function prep(sqe: Sqe, env: OpEnv): typeof PREPARED | number {
  if (sqe.ioprio !== 0) {
    const e = ioprioCheckCap(sqe.ioprio, env.cap);
    if (e) return e;
  }
  if (vectored(sqe.opcode)) {
    const n = sqe.len >>> 0;
    if (n > UIO_MAXIOV) return -ERRNO.EINVAL;
    // iovec_from_user of n entries at addr: nothing to copy for 0, a fault otherwise.
    return n === 0 ? PREPARED : -ERRNO.EFAULT;
  }
  const r = importUbuf(sqe.addr, sqe.len);
  return r < 0 ? r : PREPARED;
}

/** The transfer size after prep: iov_iter_count. */
const count = (sqe: Sqe) => (vectored(sqe.opcode) ? 0 : Math.min(sqe.len >>> 0, 0x7ffff000));

function issue(sqe: Sqe, env: OpEnv, write: boolean): Issued {
  const f = lookupFile(sqe, env);
  if (!f) return issued(-ERRNO.EBADF);
  if (!(write ? canWrite(f) : canRead(f))) return issued(-ERRNO.EBADF);
  const rwf = sqe.opf >>> 0;
  if (rwf & ~env.profile.rwfSupported) return issued(-ERRNO.EOPNOTSUPP);
  if ((rwf & (RWF_APPEND | RWF_NOAPPEND)) === (RWF_APPEND | RWF_NOAPPEND)) return issued(-ERRNO.EINVAL);
  const kind = fileKind(f);
  // Known flags change results in ways the model does not follow (RWF_NOWAIT on files
  // without FMODE_NOWAIT, RWF_ATOMIC, RWF_DONTCACHE, RWF_HIPRI on files without an iter),
  // except on /dev/null, whose read_iter/write_iter ignore them and which has FMODE_NOWAIT.
  if (rwf !== 0 && !(kind === 'null' && (rwf & ~(RWF_NOWAIT | 0x100)) === 0)) return UNMODELLED;
  const n = count(sqe);
  // ki_pos: -1 means the file position (0: nothing the model does moves it).
  const off = BigInt.asIntN(64, sqe.off);
  const pos = off === -1n ? 0n : off;
  // rw_verify_area: a negative position, or one the count would carry past LLONG_MAX.
  if (pos < 0n || pos + BigInt(n) > LLONG_MAX) return issued(-ERRNO.EINVAL);
  switch (kind) {
    case 'null':
      return issued(write ? n : 0);
    case 'dir':
      // No read_iter: no FMODE_NOWAIT and not pollable, so io-wq runs loop_rw_iter, which
      // calls generic_read_dir (-EISDIR) only when there is something to read.
      return issued(n === 0 ? 0 : -ERRNO.EISDIR, true);
    case 'init':
    case 'reg':
      // A buffered write goes to io-wq (no FOP_BUFFER_WASYNC) and faults on the unmapped
      // buffer; an empty one writes nothing.
      if (write) return issued(n === 0 ? 0 : -ERRNO.EFAULT, true);
      // Empty files read 0; /init has data at position 0 (its size is not in the model).
      if (n === 0 || kind === 'reg') return issued(0);
      return pos === 0n ? issued(-ERRNO.EFAULT) : UNMODELLED;
    case 'socket': {
      if (f.kind !== 'socket') return UNMODELLED;
      // sock_read_iter / sock_write_iter: a position other than 0 is -ESPIPE; an empty
      // read is 0 before the protocol is asked.
      if (pos !== 0n) return issued(-ERRNO.ESPIPE);
      if (!write && n === 0) return issued(0);
      const r = write ? sendUnconnected(f, 0, n, false) : recvUnconnected(f, 0);
      // io_write hands a failed write_iter to kiocb_done → io_complete_rw: task work.
      return r === undefined ? UNMODELLED : issued(r, write);
    }
    default:
      // The console would print or wait; a ring fd has no read/write and its poll
      // decides when the -EINVAL comes.
      return UNMODELLED;
  }
}

export const read: OpHandler = { prep, issue: (sqe, _p, env) => issue(sqe, env, false) };
export const write: OpHandler = { prep, issue: (sqe, _p, env) => issue(sqe, env, true) };
export const readv = read;
export const writev = write;
