// The filter context (kernel-semantics.md §1.4, §4.3): where each field lands in
// the little-endian words a program loads, per profile.
import { describe, expect, it } from 'vitest';
import { populateCtx } from '../../model/ctx/populate.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { AF, SOCK } from '../../model/abi/net.ts';
import { profile, sqe } from '../syscall/helpers.ts';

const words = (name: string, s: ReturnType<typeof sqe>, flags = s.flags, open?: { flags: bigint; mode: bigint; resolve: bigint }) => {
  const p = profile(name);
  return Array.from(populateCtx(new Uint32Array(p.ctx.size / 4), p, s, flags, open));
};

describe('populateCtx', () => {
  it('v7 header: user_data at 0/4, opcode|flags<<8|pdu<<16 at 8 (oracle §5.1: ld [8] is native little-endian)', () => {
    const w = words('7.3', sqe(OP.NOP, 0, { ud: 0x1_0000_0002n, flags: 0x10 }));
    expect(w.slice(0, 4)).toEqual([2, 1, 0x1000, 0]);
    expect(w.length).toBe(10);
  });
  it('user_data above 2^53 is split exactly', () => {
    const w = words('7.3', sqe(OP.NOP, 0, { ud: 0xffff_ffff_ffff_fffen }));
    expect(w.slice(0, 2)).toEqual([0xfffffffe, 0xffffffff]);
  });
  it('SOCKET payload: family, type, protocol; pdu_size 12', () => {
    const s = sqe(OP.SOCKET, 1, { fd: AF.AF_INET, off: BigInt(SOCK.SOCK_STREAM | SOCK.SOCK_NONBLOCK), len: 6 });
    expect(words('7.2', s).slice(2, 7)).toEqual([OP.SOCKET | (12 << 16), 0, AF.AF_INET, 0x801, 6]);
  });
  it('SOCKET type masked on 7.3 only (erratum 2)', () => {
    const s = sqe(OP.SOCKET, 1, { fd: AF.AF_INET, off: BigInt(SOCK.SOCK_DGRAM | SOCK.SOCK_CLOEXEC) });
    expect(words('7.2', s)[5]).toBe(0x80002);
    expect(words('7.3', s)[5]).toBe(2);
  });
  it('OPENAT payload is the prepared open_how (flags, mode, resolve as u64s)', () => {
    const w = words('7.0', sqe(OP.OPENAT, 1), 0x10, { flags: 0x8041n, mode: 0o644n, resolve: 0n });
    expect(w.slice(2, 10)).toEqual([OP.OPENAT | (0x10 << 8) | (24 << 16), 0, 0x8041, 0, 0o644, 0, 0, 0]);
  });
  it('CONNECT payload from 7.2: family, port and v4 address in network order inside host words', () => {
    const sa = new Uint8Array([2, 0, 0x1f, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const s = sqe(OP.CONNECT, 1, { off: 16n, sockaddr: sa, addr: 1n });
    expect(words('7.2', s).slice(2, 7)).toEqual([OP.CONNECT | (24 << 16), 0, 2, 0x901f, 0x0100007f]);
    // Before 7.2: no payload, pdu 0.
    expect(words('7.1', s).slice(2, 7)).toEqual([OP.CONNECT, 0, 0, 0, 0]);
  });
  it('CONNECT with addr_len < 2 populates nothing; a short AF_INET gives the family only (§8.20)', () => {
    const sa = new Uint8Array([2, 0, 0x1f, 0x90, 127, 0, 0, 1]);
    expect(words('7.3', sqe(OP.CONNECT, 1, { off: 1n, sockaddr: sa })).slice(4, 7)).toEqual([0, 0, 0]);
    expect(words('7.3', sqe(OP.CONNECT, 1, { off: 8n, sockaddr: sa })).slice(4, 7)).toEqual([2, 0, 0]);
  });
  it('CONNECT AF_INET6: port and the 16 address bytes', () => {
    const sa = new Uint8Array(28);
    sa[0] = 10; sa[2] = 0; sa[3] = 80; sa[23] = 1;
    expect(words('7.3', sqe(OP.CONNECT, 1, { off: 28n, sockaddr: sa })).slice(4, 10)).toEqual([10, 80 << 8, 0, 0, 0, 0x01000000]);
  });
  it('v5: 64 bytes, opcode and flags first, user_data at 8, socket payload without pdu_size', () => {
    const w = words('v5', sqe(OP.SOCKET, 7, { fd: 1, off: 1n, flags: 4 }));
    expect(w.length).toBe(16);
    expect(w.slice(0, 7)).toEqual([OP.SOCKET | (4 << 8), 0, 7, 0, 1, 1, 0]);
  });
});
