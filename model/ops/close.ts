// IORING_OP_CLOSE (io_close_prep / io_close): an io_uring fd cannot be closed
// this way (-EBADF); any other open fd is removed from the submitter's table.

import { ERRNO } from '../abi/errno.ts';
import { SQE_FLAGS } from '../abi/flags.ts';
import { withFd } from '../task/fd.ts';
import { type OpHandler, PREPARED, issued } from './env.ts';

export const close: OpHandler = {
  prep(sqe) {
    if (sqe.off !== 0n || sqe.addr !== 0n || sqe.len !== 0 || sqe.opf !== 0 || sqe.buf !== 0) return -ERRNO.EINVAL;
    if (sqe.flags & SQE_FLAGS.FIXED_FILE) return -ERRNO.EBADF;
    if (sqe.fidx !== 0 && sqe.fd !== 0) return -ERRNO.EINVAL;
    return PREPARED;
  },
  issue(sqe, _p, env) {
    if (sqe.fidx !== 0) return issued((sqe.fidx >>> 0) - 1 < env.ring.reg.files ? 0 : -ERRNO.EINVAL);
    const e = env.fds[sqe.fd];
    if (sqe.fd < 0 || !e || e.kind === 'ring') return issued(-ERRNO.EBADF);
    env.fds = withFd(env.fds, sqe.fd, undefined);
    return issued(0);
  },
};
