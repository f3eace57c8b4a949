// socket(2) as __sys_socket_file → __sock_create → pf->create decides it, for the
// families the oracle's kernel has built in (Debian cloud config, no modules in the
// guest: UNIX, INET, INET6, NETLINK, PACKET and XDP). Every other family gets
// -EAFNOSUPPORT. Returns the socket's identity or a negative errno. What differs by
// kernel (UDP-Lite, the registered netlink protocols) comes from the profile.

import { AF, IPPROTO, SOCK, SOCK_TYPE_MASK } from '../abi/net.ts';
import { ERRNO } from '../abi/errno.ts';

/** What the kernel has registered: the profile's answer (see KernelProfile). */
export interface SocketProtocols {
  /** IPPROTO_UDPLITE has inetsw DGRAM entries (up to 7.0). */
  udplite: boolean;
  /** nl_table[p].registered for p < MAX_LINKS, with the guest's (empty) module set. */
  netlink: readonly number[];
}

/** IPPROTO_MAX: one past IPPROTO_MPTCP (262). */
export const IPPROTO_MAX = 263;
const IPPROTO_MPTCP = 262;
const MAX_LINKS = 32;

const NPROTO = AF.AF_MAX; // 46
const SOCK_MAX = SOCK.SOCK_PACKET + 1; // 11

export interface SocketId {
  family: number;
  type: number;
  protocol: number;
}

/** `cap`: CAP_NET_RAW (root keeps every capability; setresuid to non-zero drops them). */
export function createSocket(family: number, rawType: number, protocol: number, cap: boolean, protos: SocketProtocols): SocketId | number {
  const flags = rawType & ~SOCK_TYPE_MASK;
  if (flags & ~(SOCK.SOCK_CLOEXEC | SOCK.SOCK_NONBLOCK)) return -ERRNO.EINVAL;
  const type = rawType & SOCK_TYPE_MASK;
  if (family < 0 || family >= NPROTO) return -ERRNO.EAFNOSUPPORT;
  if (type < 0 || type >= SOCK_MAX) return -ERRNO.EINVAL;
  // AF_INET + SOCK_PACKET is redirected to AF_PACKET.
  const fam = family === AF.AF_INET && type === SOCK.SOCK_PACKET ? AF.AF_PACKET : family;
  switch (fam) {
    case AF.AF_PACKET:
      // packet_create: CAP_NET_RAW first, then the type.
      if (!cap) return -ERRNO.EPERM;
      if (type !== SOCK.SOCK_RAW && type !== SOCK.SOCK_DGRAM && type !== SOCK.SOCK_PACKET) return -ERRNO.ESOCKTNOSUPPORT;
      return { family: fam, type, protocol };
    case AF.AF_XDP:
      // xsk_create (CONFIG_XDP_SOCKETS=y; oracle, scenarios/socket-families.trace).
      if (!cap) return -ERRNO.EPERM;
      if (type !== SOCK.SOCK_RAW) return -ERRNO.ESOCKTNOSUPPORT;
      if (protocol !== 0) return -ERRNO.EPROTONOSUPPORT;
      return { family, type, protocol };
    case AF.AF_UNIX:
      if (protocol !== 0 && protocol !== AF.AF_UNIX) return -ERRNO.EPROTONOSUPPORT;
      switch (type) {
        case SOCK.SOCK_STREAM:
        case SOCK.SOCK_DGRAM:
        case SOCK.SOCK_SEQPACKET:
          return { family, type, protocol };
        case SOCK.SOCK_RAW: // unix_create turns RAW into DGRAM
          return { family, type: SOCK.SOCK_DGRAM, protocol };
        default:
          return -ERRNO.ESOCKTNOSUPPORT;
      }
    case AF.AF_INET:
    case AF.AF_INET6:
      return inetCreate(family, type, protocol, cap, protos.udplite);
    case AF.AF_NETLINK:
      // netlink_create: the type, the MAX_LINKS range, then nl_table[protocol].registered
      // (request_module finds nothing in the guest). No privilege is needed to create.
      if (type !== SOCK.SOCK_RAW && type !== SOCK.SOCK_DGRAM) return -ERRNO.ESOCKTNOSUPPORT;
      if (protocol < 0 || protocol >= MAX_LINKS || !protos.netlink.includes(protocol)) return -ERRNO.EPROTONOSUPPORT;
      return { family, type, protocol };
    default:
      return -ERRNO.EAFNOSUPPORT;
  }
}

/** inet_create / inet6_create: the protocol range, then the inetsw lookup with its two wildcard cases. */
function inetCreate(family: number, type: number, protocol: number, cap: boolean, udplite: boolean): SocketId | number {
  if (protocol < 0 || protocol >= IPPROTO_MAX) return -ERRNO.EINVAL;
  const ping = family === AF.AF_INET ? IPPROTO.IPPROTO_ICMP : IPPROTO.IPPROTO_ICMPV6;
  // inetsw[type]: registered (protocol) entries in list order; 0 = IPPROTO_IP wildcard.
  // MPTCP registers a STREAM entry for both families (CONFIG_MPTCP_IPV6=y); SCTP,
  // L2TP and SMC are modules the guest cannot load.
  const table: Record<number, number[]> = {
    [SOCK.SOCK_STREAM]: [IPPROTO.IPPROTO_TCP, IPPROTO_MPTCP],
    [SOCK.SOCK_DGRAM]: udplite ? [IPPROTO.IPPROTO_UDP, IPPROTO.IPPROTO_UDPLITE, ping] : [IPPROTO.IPPROTO_UDP, ping],
    [SOCK.SOCK_RAW]: [0],
  };
  const answers = table[type];
  if (!answers) return -ERRNO.ESOCKTNOSUPPORT;
  let err = -ERRNO.EPROTONOSUPPORT;
  let proto = protocol;
  for (const a of answers) {
    if (protocol === a) {
      if (protocol !== 0) { err = 0; break; }
    } else {
      if (protocol === 0) { proto = a; err = 0; break; }
      if (a === 0) { err = 0; break; }
    }
  }
  if (err) return err;
  if (type === SOCK.SOCK_RAW && !cap) return -ERRNO.EPERM;
  // Ping sockets: net.ipv4.ping_group_range defaults to "1 0" (nobody).
  if (type === SOCK.SOCK_DGRAM && proto === ping) return -ERRNO.EACCES;
  return { family, type, protocol: proto };
}
