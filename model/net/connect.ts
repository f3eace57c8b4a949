// connect(2) on a socket the model created, to addresses nobody listens on (the
// trace world has no listeners and no network: the oracle's guest brings up no
// interface, not even lo, so every IP destination is unreachable). Whether the
// result is immediate or comes after the request waited decides its CQE position.

import { AF, SOCK } from '../abi/net.ts';
import { ERRNO } from '../abi/errno.ts';
import type { FsState } from '../fs/fs.ts';
import type { SocketId } from './socket.ts';

export interface ConnectResult {
  res: number;
  /** Completed after waiting (poll-driven retry), not inline. */
  waited: boolean;
}

const done = (res: number): ConnectResult => ({ res, waited: false });

export function connectSocket(sock: SocketId, addr: Uint8Array, addrLen: number, fs: FsState): ConnectResult {
  const at = (i: number) => (i < addrLen && i < addr.length ? addr[i] : 0);
  const family = addrLen >= 2 ? at(0) | (at(1) << 8) : -1;
  switch (sock.family) {
    case AF.AF_UNIX: {
      if (sock.type === SOCK.SOCK_DGRAM && family === AF.AF_UNSPEC && addrLen >= 2) return done(0);
      // unix_validate_addr: longer than sun_family, at most sizeof(sockaddr_un), AF_UNIX.
      if (addrLen <= 2 || addrLen > 110 || family !== AF.AF_UNIX) return done(-ERRNO.EINVAL);
      if (at(2) === 0) return done(-ERRNO.ECONNREFUSED); // abstract name: nobody bound
      let path = '';
      for (let i = 2; i < addrLen && at(i) !== 0; i++) path += String.fromCharCode(at(i));
      // Resolve the path name: nothing there, or something that is not a bound socket.
      const ino = fs.nodes.get(normalise(path));
      return done(ino ? -ERRNO.ECONNREFUSED : -ERRNO.ENOENT);
    }
    case AF.AF_INET:
    case AF.AF_INET6: {
      const v6 = sock.family === AF.AF_INET6;
      if (addrLen < 2) return done(-ERRNO.EINVAL);
      if (family === AF.AF_UNSPEC) return done(sock.type === SOCK.SOCK_STREAM ? -ERRNO.EINVAL : 0);
      const need = v6 ? 24 : 16; // tcp_v6_connect accepts SIN6_LEN_RFC2133 (24)
      if (addrLen < need) return done(-ERRNO.EINVAL);
      if (v6 && family === AF.AF_INET) return done(-ERRNO.EAFNOSUPPORT); // v4 via a v6 socket needs mapped form
      if (family !== sock.family) return done(-ERRNO.EAFNOSUPPORT);
      // The guest never configures an interface, not even lo: every route is missing
      // (7.3.4: TCP and UDP to 127.0.0.1 both give -ENETUNREACH, inline).
      if (sock.type === SOCK.SOCK_STREAM || sock.type === SOCK.SOCK_DGRAM || sock.type === SOCK.SOCK_RAW) return done(-ERRNO.ENETUNREACH);
      return done(-ERRNO.EOPNOTSUPP);
    }
    case AF.AF_NETLINK:
      if (addrLen < 12) return done(-ERRNO.EINVAL);
      if (family !== AF.AF_NETLINK) return done(-ERRNO.EINVAL);
      return done(0);
    default:
      return done(-ERRNO.EOPNOTSUPP);
  }
}

function normalise(p: string): string {
  const parts = p.split('/').filter((x) => x && x !== '.');
  return '/' + parts.join('/');
}
