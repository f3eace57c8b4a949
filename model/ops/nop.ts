// IORING_OP_NOP (io_uring/nop.c): nop_flags can inject a result, look up a file,
// or complete through task work. A failed file lookup breaks a soft link and posts
// -EBADF (7.1+) or the injected result (6.18, 7.0): profile.nopFileFailurePostsError.

import { ERRNO } from '../abi/errno.ts';
import { SETUP_FLAGS } from '../abi/flags.ts';
import type { OpHandler } from './env.ts';
import { PREPARED } from './env.ts';

export const NOP_FLAGS = { INJECT_RESULT: 1 << 0, FILE: 1 << 1, FIXED_FILE: 1 << 2, FIXED_BUFFER: 1 << 3, TW: 1 << 4, CQE32: 1 << 5 } as const;
const ALL = 0x3f;
/** A plain NOP's completion (shared: issue results are never mutated). */
const DONE = Object.freeze({ res: 0, failed: false, deferred: false });

export const nop: OpHandler = {
  prep(sqe, env) {
    const f = sqe.opf >>> 0;
    if (f & ~ALL) return -ERRNO.EINVAL;
    if (f & NOP_FLAGS.CQE32 && !(env.ring.flags & (SETUP_FLAGS.CQE32 | SETUP_FLAGS.CQE_MIXED))) return -ERRNO.EINVAL;
    return PREPARED;
  },
  issue(sqe, _p, env) {
    const f = sqe.opf >>> 0;
    if (f === 0) return DONE;
    const result = f & NOP_FLAGS.INJECT_RESULT ? sqe.len | 0 : 0;
    let ret = result;
    if (f & NOP_FLAGS.FILE) {
      // Registered file tables are sparse in the model: a fixed lookup never finds a file.
      const ok = f & NOP_FLAGS.FIXED_FILE ? false : sqe.fd >= 0 && env.fds[sqe.fd] !== undefined;
      if (!ok) ret = -ERRNO.EBADF;
    }
    if (ret >= 0 && f & NOP_FLAGS.FIXED_BUFFER && !(sqe.buf >= 0 && sqe.buf < env.ring.reg.buffers)) ret = -ERRNO.EFAULT;
    // From 7.1 the lookup's error (-EBADF) is posted; before, the injected result.
    const res = env.profile.nopFileFailurePostsError ? ret : result;
    return { res, failed: ret < 0, deferred: (f & NOP_FLAGS.TW) !== 0 };
  },
};
