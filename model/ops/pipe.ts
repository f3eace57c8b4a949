// IORING_OP_PIPE (io_pipe_prep / io_pipe): the two new fds are copied to the user
// array at sqe->addr. A trace has no such array to give, so the copy faults.

import { ERRNO } from '../abi/errno.ts';
import { O } from '../abi/net.ts';
import { type OpHandler, PREPARED, issued } from './env.ts';

/** O_NOTIFICATION_PIPE (= O_EXCL). */
const O_NOTIFICATION_PIPE = O.O_EXCL;

export const pipe: OpHandler = {
  prep(sqe) {
    if (sqe.fd !== 0 || sqe.off !== 0n || sqe.addr3 !== 0n) return -ERRNO.EINVAL;
    if (sqe.opf & ~(O.O_CLOEXEC | O.O_NONBLOCK | O.O_DIRECT | O_NOTIFICATION_PIPE)) return -ERRNO.EINVAL;
    return PREPARED;
  },
  issue() {
    // The fds are installed, the copy to user memory fails, and they are closed again.
    return issued(-ERRNO.EFAULT);
  },
};
