// IORING_OP_SEND and RECV (io_uring/net.c). Prep: sqe->ioprio holds the io_uring
// send/recv flags (unknown ones -EINVAL); SEND rejects __pad3 (the high half of
// file_index), copies the destination at addr2 (addr_len, the low half of file_index:
// over sizeof(sockaddr_storage) -EINVAL, else a fault from the trace's unmapped memory)
// and imports the buffer (import_ubuf); RECV rejects addr2 and file_index (optlen
// without multishot), multishot without IOSQE_BUFFER_SELECT, and imports the buffer.
// Issue: the file lookup (-EBADF), sock_from_file (-ENOTSOCK), then the socket
// (model/net/io.ts). SEND always adds MSG_NOSIGNAL.

import { ERRNO } from '../abi/errno.ts';
import { SQE_FLAGS } from '../abi/flags.ts';
import type { Sqe } from '../ring/sqe.ts';
import { recvUnconnected, sendUnconnected } from '../net/io.ts';
import { type Issued, type OpEnv, type OpHandler, PREPARED, UNMODELLED, issued } from './env.ts';
import { lookupFile } from './file.ts';
import { importUbuf } from './memory.ts';

export const RECVSEND = { POLL_FIRST: 1, RECV_MULTISHOT: 2, FIXED_BUF: 4, ZC_REPORT_USAGE: 8, BUNDLE: 16, SEND_VECTORIZED: 32 } as const;
const SOCKADDR_STORAGE = 128;

export const send: OpHandler = {
  prep(sqe, env) {
    if (sqe.ioprio & ~env.profile.sendFlags) return -ERRNO.EINVAL;
    if (sqe.fidx >>> 16) return -ERRNO.EINVAL; // __pad3[0]
    if (sqe.off !== 0n) {
      // move_addr_to_kernel(addr2, addr_len)
      const addrLen = sqe.fidx & 0xffff;
      if (addrLen > SOCKADDR_STORAGE) return -ERRNO.EINVAL;
      if (addrLen > 0) return -ERRNO.EFAULT;
    }
    if (sqe.ioprio & (RECVSEND.FIXED_BUF | RECVSEND.SEND_VECTORIZED) || sqe.flags & SQE_FLAGS.BUFFER_SELECT) return PREPARED;
    const r = importUbuf(sqe.addr, sqe.len);
    return r < 0 ? r : PREPARED;
  },
  issue(sqe, _p, env) {
    return transfer(sqe, env, true);
  },
};

export const recv: OpHandler = {
  prep(sqe, env) {
    if (sqe.off !== 0n) return -ERRNO.EINVAL;
    if (sqe.ioprio & ~env.profile.recvFlags) return -ERRNO.EINVAL;
    if (sqe.ioprio & RECVSEND.RECV_MULTISHOT) {
      if (!(sqe.flags & SQE_FLAGS.BUFFER_SELECT)) return -ERRNO.EINVAL;
    } else if (sqe.fidx !== 0) return -ERRNO.EINVAL;
    if (sqe.ioprio & RECVSEND.FIXED_BUF || sqe.flags & SQE_FLAGS.BUFFER_SELECT) return PREPARED;
    const r = importUbuf(sqe.addr, sqe.len);
    return r < 0 ? r : PREPARED;
  },
  issue(sqe, _p, env) {
    return transfer(sqe, env, false);
  },
};

function transfer(sqe: Sqe, env: OpEnv, isSend: boolean): Issued {
  const f = lookupFile(sqe, env);
  if (!f) return issued(-ERRNO.EBADF);
  if (f.kind !== 'socket') return issued(-ERRNO.ENOTSOCK);
  // Poll-first, bundles, provided or registered buffers and a destination address are
  // not modelled.
  if (sqe.ioprio !== 0 || sqe.flags & SQE_FLAGS.BUFFER_SELECT || (isSend && sqe.off !== 0n)) return UNMODELLED;
  const flags = sqe.opf >>> 0;
  const r = isSend ? sendUnconnected(f, flags, sqe.len >>> 0, true) : recvUnconnected(f, flags);
  return r === undefined ? UNMODELLED : issued(r);
}
