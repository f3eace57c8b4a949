// IORING_OP_CONNECT (io_connect_prep / io_connect): prep validates fields and
// copies addr_len (= sqe->addr2) bytes of sockaddr; issue looks the fd up and
// connects (model/net/connect.ts).

import { ERRNO } from '../abi/errno.ts';
import { SQE_FLAGS } from '../abi/flags.ts';
import { connectSocket } from '../net/connect.ts';
import { type OpHandler, PREPARED, issued } from './env.ts';

/** sizeof(struct sockaddr_storage). */
const SOCKADDR_STORAGE = 128;

export const connect: OpHandler = {
  prep(sqe) {
    if (sqe.len !== 0 || sqe.buf !== 0 || sqe.opf !== 0 || sqe.fidx !== 0) return -ERRNO.EINVAL;
    const addrLen = Number(BigInt.asIntN(32, sqe.off));
    // move_addr_to_kernel
    if (addrLen < 0 || addrLen > SOCKADDR_STORAGE) return -ERRNO.EINVAL;
    if (addrLen > 0 && (sqe.addr === 0n || !sqe.sockaddr)) return -ERRNO.EFAULT;
    return PREPARED;
  },
  issue(sqe, _p, env) {
    // Registered file tables are sparse in the model: a fixed lookup never finds a file.
    const e = sqe.flags & SQE_FLAGS.FIXED_FILE || sqe.fd < 0 ? undefined : env.fds[sqe.fd];
    if (!e) return issued(-ERRNO.EBADF);
    if (e.kind !== 'socket') return issued(-ERRNO.ENOTSOCK);
    const addrLen = Number(BigInt.asIntN(32, sqe.off));
    const r = connectSocket(e, sqe.sockaddr ?? new Uint8Array(0), addrLen, env.fs);
    return issued(r.res, r.waited);
  },
};
