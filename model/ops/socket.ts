// IORING_OP_SOCKET (io_socket_prep / io_socket): prep rejects stray fields and
// type flags; issue creates the socket inline and installs the lowest free fd (or
// a fixed-file slot).

import { ERRNO } from '../abi/errno.ts';
import { SOCK, SOCK_TYPE_MASK } from '../abi/net.ts';
import { createSocket } from '../net/socket.ts';
import { lowestFreeFd, withFd } from '../task/fd.ts';
import { type OpHandler, PREPARED, issued } from './env.ts';
import { installFixed } from './fixed.ts';

export const RLIMIT_NOFILE = 1024;

export const socket: OpHandler = {
  prep(sqe) {
    if (sqe.addr !== 0n || sqe.opf !== 0 || sqe.buf !== 0) return -ERRNO.EINVAL;
    const type = Number(sqe.off & 0xffffffffn) | 0;
    const flags = type & ~SOCK_TYPE_MASK;
    if (sqe.fidx !== 0 && flags & SOCK.SOCK_CLOEXEC) return -ERRNO.EINVAL;
    if (flags & ~(SOCK.SOCK_CLOEXEC | SOCK.SOCK_NONBLOCK)) return -ERRNO.EINVAL;
    return PREPARED;
  },
  issue(sqe, _p, env) {
    const type = Number(sqe.off & 0xffffffffn) | 0;
    const s = createSocket(sqe.fd | 0, type, sqe.len | 0, env.cap, env.profile.sockets);
    if (typeof s === 'number') return issued(s);
    if (sqe.fidx !== 0) return issued(installFixed(env, sqe.fidx));
    const fd = lowestFreeFd(env.fds);
    if (fd >= RLIMIT_NOFILE) return issued(-ERRNO.EMFILE);
    env.fds = withFd(env.fds, fd, Object.freeze({ kind: 'socket', family: s.family, type: s.type, protocol: s.protocol }));
    return issued(fd);
  },
};
