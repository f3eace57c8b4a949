// socket(2) outcomes the model gives for the families the oracle's kernel has.
import { describe, expect, it } from 'vitest';
import { createSocket } from '../../model/net/socket.ts';
import { AF, SOCK, IPPROTO } from '../../model/abi/net.ts';
import { PROFILES } from '../../model/profile/profiles.ts';

const E = { EINVAL: -22, EAFNOSUPPORT: -97, EPROTONOSUPPORT: -93, ESOCKTNOSUPPORT: -94, EPERM: -1, EACCES: -13 };

describe('createSocket', () => {
  const cases: [string, number, number, number, boolean, number | 'ok'][] = [
    ['AF_UNIX stream', AF.AF_UNIX, SOCK.SOCK_STREAM, 0, false, 'ok'],
    ['AF_UNIX seqpacket', AF.AF_UNIX, SOCK.SOCK_SEQPACKET, 0, false, 'ok'],
    ['AF_UNIX raw becomes dgram', AF.AF_UNIX, SOCK.SOCK_RAW, 0, false, 'ok'],
    ['AF_UNIX rdm', AF.AF_UNIX, SOCK.SOCK_RDM, 0, false, E.ESOCKTNOSUPPORT],
    ['AF_UNIX protocol 2', AF.AF_UNIX, SOCK.SOCK_STREAM, 2, false, E.EPROTONOSUPPORT],
    ['AF_INET tcp', AF.AF_INET, SOCK.SOCK_STREAM, 0, false, 'ok'],
    ['AF_INET stream/udp', AF.AF_INET, SOCK.SOCK_STREAM, IPPROTO.IPPROTO_UDP, false, E.EPROTONOSUPPORT],
    ['AF_INET seqpacket', AF.AF_INET, SOCK.SOCK_SEQPACKET, 0, false, E.ESOCKTNOSUPPORT],
    ['AF_INET raw proto 0', AF.AF_INET, SOCK.SOCK_RAW, 0, true, E.EPROTONOSUPPORT],
    ['AF_INET raw icmp as root', AF.AF_INET, SOCK.SOCK_RAW, IPPROTO.IPPROTO_ICMP, true, 'ok'],
    ['AF_INET raw icmp without caps', AF.AF_INET, SOCK.SOCK_RAW, IPPROTO.IPPROTO_ICMP, false, E.EPERM],
    ['AF_INET ping socket (ping_group_range 1 0)', AF.AF_INET, SOCK.SOCK_DGRAM, IPPROTO.IPPROTO_ICMP, true, E.EACCES],
    ['AF_INET6 udp', AF.AF_INET6, SOCK.SOCK_DGRAM, 0, false, 'ok'],
    ['family out of range', 46, SOCK.SOCK_STREAM, 0, false, E.EAFNOSUPPORT],
    ['negative family', -1, SOCK.SOCK_STREAM, 0, false, E.EAFNOSUPPORT],
    ['family range is checked before type', 99, 12, 0, false, E.EAFNOSUPPORT],
    ['type flags are checked before the family', 99, 0x41, 0, false, E.EINVAL],
    ['type out of range', AF.AF_INET, 11, 0, false, E.EINVAL],
    ['unknown type flag', AF.AF_INET, SOCK.SOCK_STREAM | 0x100, 0, false, E.EINVAL],
    ['AF_PACKET is built in (7.3.4)', AF.AF_PACKET, SOCK.SOCK_RAW, 0, true, 'ok'],
    ['AF_PACKET needs CAP_NET_RAW', AF.AF_PACKET, SOCK.SOCK_RAW, 0, false, E.EPERM],
    ['AF_INET + SOCK_PACKET goes to AF_PACKET', AF.AF_INET, SOCK.SOCK_PACKET, 0, false, E.EPERM],
    ['NETLINK_KOBJECT_UEVENT (7.3.4)', AF.AF_NETLINK, SOCK.SOCK_DGRAM, 15, false, 'ok'],
    ['NETLINK_NETFILTER is built in on 7.3.4', AF.AF_NETLINK, SOCK.SOCK_RAW, 12, false, 'ok'],
    ['NETLINK_XFRM is a module', AF.AF_NETLINK, SOCK.SOCK_RAW, 6, false, E.EPROTONOSUPPORT],
    ['AF_INET protocol -1 (inet_create range check)', AF.AF_INET, SOCK.SOCK_DGRAM, -1, false, E.EINVAL],
    ['AF_INET6 protocol -1', AF.AF_INET6, SOCK.SOCK_STREAM, -1, false, E.EINVAL],
    ['AF_INET raw protocol 300', AF.AF_INET, SOCK.SOCK_RAW, 300, true, E.EINVAL],
    ['range before privilege', AF.AF_INET, SOCK.SOCK_RAW, 300, false, E.EINVAL],
    ['AF_INET raw protocol 262 (below IPPROTO_MAX)', AF.AF_INET, SOCK.SOCK_RAW, 262, true, 'ok'],
    ['range before the type lookup', AF.AF_INET, SOCK.SOCK_SEQPACKET, 263, false, E.EINVAL],
    ['MPTCP v4', AF.AF_INET, SOCK.SOCK_STREAM, 262, false, 'ok'],
    ['MPTCP v6', AF.AF_INET6, SOCK.SOCK_STREAM, 262, false, 'ok'],
    ['MPTCP is STREAM only', AF.AF_INET, SOCK.SOCK_DGRAM, 262, false, E.EPROTONOSUPPORT],
    ['UDP-Lite is gone in 7.3', AF.AF_INET, SOCK.SOCK_DGRAM, IPPROTO.IPPROTO_UDPLITE, false, E.EPROTONOSUPPORT],
    ['NETLINK protocol 32', AF.AF_NETLINK, SOCK.SOCK_RAW, 32, false, E.EPROTONOSUPPORT],
    ['AF_XDP is built in: SOCK_RAW, protocol 0, as root (7.3.4)', AF.AF_XDP, SOCK.SOCK_RAW, 0, true, 'ok'],
    ['AF_XDP checks CAP_NET_RAW before the type', AF.AF_XDP, SOCK.SOCK_DGRAM, 0, false, E.EPERM],
    ['AF_XDP takes no protocol', AF.AF_XDP, SOCK.SOCK_RAW, 1, true, E.EPROTONOSUPPORT],
    ['AF_VSOCK is a module', AF.AF_VSOCK, SOCK.SOCK_STREAM, 0, true, E.EAFNOSUPPORT],
    ['NONBLOCK|CLOEXEC are fine', AF.AF_INET, SOCK.SOCK_STREAM | SOCK.SOCK_NONBLOCK | SOCK.SOCK_CLOEXEC, 0, false, 'ok'],
  ];
  for (const [name, fam, type, proto, cap, want] of cases) {
    it(name, () => {
      const r = createSocket(fam, type, proto, cap, PROFILES['7.3'].sockets);
      if (want === 'ok') expect(typeof r).toBe('object');
      else expect(r).toBe(want);
    });
  }
});

describe('createSocket per profile', () => {
  it('UDP-Lite opens up to 7.0 and not from 7.1 (oracle: 6.18.15, 7.0.4 vs 7.1.13+)', () => {
    const open = (p: keyof typeof PROFILES) => typeof createSocket(AF.AF_INET6, SOCK.SOCK_DGRAM, IPPROTO.IPPROTO_UDPLITE, false, PROFILES[p].sockets) === 'object';
    expect(['6.18', '7.0', '7.1', '7.2', '7.3'].map((p) => open(p as keyof typeof PROFILES))).toEqual([true, true, false, false, false]);
  });
  it('netlink opens exactly the registered protocols of each kernel (issue 15)', () => {
    const want: Record<string, number[]> = {
      '6.18': [0, 2, 4, 7, 9, 10, 11, 15, 16], '7.0': [0, 2, 4, 9, 10, 11, 15, 16], '7.1': [0, 2, 4, 9, 10, 11, 15, 16],
      '7.2': [0, 2, 4, 9, 10, 11, 12, 15, 16], '7.3': [0, 2, 4, 9, 10, 11, 12, 15, 16],
    };
    for (const [p, list] of Object.entries(want)) {
      const got = Array.from({ length: 34 }, (_, i) => i - 1).filter((n) => typeof createSocket(AF.AF_NETLINK, SOCK.SOCK_RAW, n, false, PROFILES[p as keyof typeof PROFILES].sockets) === 'object');
      expect(got, p).toEqual(list);
    }
  });
});
