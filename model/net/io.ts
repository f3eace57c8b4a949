// Data transfer on the sockets a trace can make: none is ever connected or bound (the
// guest has no interface up, not even lo, and traces cannot accept), so every transfer
// either fails at once or would wait for data that never comes. What fails at once is
// modelled; a wait is not (the caller reports it as not modelled). x86-64 MSG_ values.

import { AF, SOCK } from '../abi/net.ts';
import { ERRNO } from '../abi/errno.ts';
import type { SocketId } from './socket.ts';

export const MSG_OOB = 0x1;

const TCP = 6;
const UDP = 17;

const isInet = (s: SocketId) => s.family === AF.AF_INET || s.family === AF.AF_INET6;

/** sock_recvmsg on an unconnected socket (len > 0, or RECV of any length): -errno, or undefined (would wait). */
export function recvUnconnected(s: SocketId, msgFlags: number): number | undefined {
  if (s.family === AF.AF_UNIX) {
    // unix_stream_read_generic: not TCP_ESTABLISHED is -EINVAL (MSG_OOB too: unix_stream_recv_urg).
    if (s.type === SOCK.SOCK_STREAM) return -ERRNO.EINVAL;
    // unix_seqpacket_recvmsg: -ENOTCONN unless established.
    if (s.type === SOCK.SOCK_SEQPACKET) return -ERRNO.ENOTCONN;
    return undefined;
  }
  if (isInet(s) && s.type === SOCK.SOCK_STREAM && s.protocol === TCP) {
    // tcp_recvmsg: MSG_OOB goes to tcp_recv_urg (no urgent data: -EINVAL); else TCP_CLOSE is -ENOTCONN.
    if (msgFlags & MSG_OOB) return -ERRNO.EINVAL;
    return msgFlags === 0 ? -ERRNO.ENOTCONN : undefined;
  }
  return undefined;
}

/**
 * sock_sendmsg on an unconnected socket without a destination address: -errno, or
 * undefined (not modelled). `noSignal`: MSG_NOSIGNAL is set (SEND adds it; WRITE does not,
 * and a TCP -EPIPE would then also raise SIGPIPE, which the model does not follow).
 */
export function sendUnconnected(s: SocketId, msgFlags: number, len: number, noSignal: boolean): number | undefined {
  if (s.family === AF.AF_UNIX) {
    if (msgFlags !== 0) return undefined;
    // unix_stream_sendmsg / unix_dgram_sendmsg / unix_seqpacket_sendmsg: no peer.
    return -ERRNO.ENOTCONN;
  }
  if (isInet(s) && s.type === SOCK.SOCK_DGRAM && s.protocol === UDP) {
    // udp_sendmsg / udpv6_sendmsg: the length, MSG_OOB, then no destination.
    if (len > 0xffff) return -ERRNO.EMSGSIZE;
    if (msgFlags & MSG_OOB) return -ERRNO.EOPNOTSUPP;
    return msgFlags === 0 ? -ERRNO.EDESTADDRREQ : undefined;
  }
  if (isInet(s) && s.type === SOCK.SOCK_STREAM && s.protocol === TCP) {
    // tcp_sendmsg_locked: sk_stream_wait_connect on TCP_CLOSE is -EPIPE.
    return msgFlags === 0 && noSignal ? -ERRNO.EPIPE : undefined;
  }
  return undefined;
}
