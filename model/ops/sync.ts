// IORING_OP_FSYNC (io_uring/sync.c): prep rejects addr, buf_index and splice_fd_in
// (file_index) and any fsync_flags bit but IORING_FSYNC_DATASYNC, and forces async
// (REQ_F_FORCE_ASYNC: the filter sees IOSQE_ASYNC). Issue, from io-wq: the file lookup,
// then vfs_fsync_range, which is -EINVAL for a file without ->fsync (devices, sockets,
// the console, a ring) and a no-op (0) on the initramfs's files and directories.

import { ERRNO } from '../abi/errno.ts';
import { type OpHandler, issued } from './env.ts';
import { fileKind, lookupFile } from './file.ts';

const IORING_FSYNC_DATASYNC = 1;
const FORCED = Object.freeze({ forceAsync: true });

export const fsync: OpHandler = {
  prep(sqe) {
    if (sqe.addr !== 0n || sqe.buf !== 0 || sqe.fidx !== 0) return -ERRNO.EINVAL;
    if ((sqe.opf >>> 0) & ~IORING_FSYNC_DATASYNC) return -ERRNO.EINVAL;
    return FORCED;
  },
  issue(sqe, _p, env) {
    const f = lookupFile(sqe, env);
    if (!f) return issued(-ERRNO.EBADF, true);
    const k = fileKind(f);
    return issued(k === 'dir' || k === 'reg' || k === 'init' ? 0 : -ERRNO.EINVAL, true);
  },
};
