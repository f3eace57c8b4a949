// The CONNECT/BIND sockaddr extension: `family= port= addr4= addr6= unix= addrlen=`
// lowered to the bytes a C program would pass (struct sockaddr_in, sockaddr_in6,
// sockaddr_un; x86-64, little-endian host, port and addresses in network order).

import { AF } from '../../model/abi/net.ts';

/** sizeof(struct sockaddr_storage): the most move_addr_to_kernel copies. */
export const SOCKADDR_STORAGE = 128;
export const SOCKADDR_IN = 16;
export const SOCKADDR_IN6 = 28;
/** offsetof(struct sockaddr_un, sun_path) and sizeof(sun_path). */
export const SUN_PATH_OFFSET = 2;
export const SUN_PATH_MAX = 108;

/** 127.0.0.1 → four bytes, or undefined. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** ::1, fe80::1, 2001:db8:0:0:0:0:0:1, ::ffff:1.2.3.4 → sixteen bytes, or undefined. */
export function parseIPv6(text: string): Uint8Array | undefined {
  let s = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two 16-bit groups.
  const v4 = /(^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = parseIPv4(v4[2]);
    if (!b) return undefined;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    s = s.slice(0, v4.index + v4[1].length) + `${hex(b[0], b[1])}:${hex(b[2], b[3])}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const group = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
  const parse = (h: string) => (h === '' ? [] : h.split(':').map(group));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if ([...head, ...rest].some(Number.isNaN)) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    if (head.length + rest.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    if (head.length !== 8) return undefined;
    groups = head;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

export interface SockaddrSpec {
  family?: number;
  port?: number;
  addr4?: Uint8Array;
  addr6?: Uint8Array;
  unix?: string;
  addrlen?: number;
}

/**
 * The sockaddr bytes and the addr_len the SQE carries. The family defaults from the
 * address given; addr_len defaults to the structure's size (for AF_UNIX: the path
 * offset + path + its NUL). `addrlen=` overrides only addr_len; the buffer is then
 * zero-padded up to it (capped at sockaddr_storage, as user memory would be).
 */
export function buildSockaddr(s: SockaddrSpec): { bytes: Uint8Array; addrlen: number } {
  // The structure follows the address given; with none, the family; family= alone
  // may still disagree with the address, to test the kernel's checks.
  const shape = s.unix !== undefined ? 'un' : s.addr6 ? 'in6' : s.addr4 ? 'in'
    : s.family === AF.AF_UNIX ? 'un' : s.family === AF.AF_INET6 ? 'in6' : 'in';
  const family = s.family ?? (shape === 'un' ? AF.AF_UNIX : shape === 'in6' ? AF.AF_INET6 : AF.AF_INET);
  const path = new TextEncoder().encode(s.unix ?? '');
  const natural = shape === 'un' ? Math.min(SUN_PATH_OFFSET + path.length + 1, SUN_PATH_OFFSET + SUN_PATH_MAX)
    : shape === 'in6' ? SOCKADDR_IN6 : SOCKADDR_IN;
  const addrlen = s.addrlen ?? natural;
  const bytes = new Uint8Array(Math.max(natural, Math.min(SOCKADDR_STORAGE, addrlen)));
  bytes[0] = family & 0xff;
  bytes[1] = (family >> 8) & 0xff;
  if (shape === 'un') {
    bytes.set(path.subarray(0, SUN_PATH_MAX), SUN_PATH_OFFSET);
  } else {
    const port = s.port ?? 0;
    bytes[2] = (port >> 8) & 0xff; // sin_port / sin6_port: network order
    bytes[3] = port & 0xff;
    if (shape === 'in6') bytes.set(s.addr6 ?? new Uint8Array(16), 8); // after sin6_flowinfo
    else bytes.set(s.addr4 ?? new Uint8Array(4), 4);
  }
  return { bytes, addrlen };
}
