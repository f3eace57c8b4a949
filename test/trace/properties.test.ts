// Properties of the parser against independent statements: a command printed
// from random field values parses back to exactly those values, whatever
// spelling of the numbers is used; IPv6 text in its usual forms gives its bytes.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OPCODE_NAMES } from '../../model/abi/opcodes.ts';
import { SQE_FLAGS } from '../../model/abi/flags.ts';
import { parseIPv6 } from '../../sim/trace/sockaddr.ts';
import { commands } from './helpers.ts';

const RUNS = { numRuns: 150 };

/** Spell a non-negative integer in decimal or hex, upper or lower case. */
const spell = (v: bigint) => fc.constantFrom(
  v.toString(),
  '0x' + v.toString(16),
  '0X' + v.toString(16).toUpperCase(),
);

const u = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });

describe('raw SQE fields round-trip', () => {
  it('every raw field, any spelling, parses to its value', () => {
    const nonFdOps = OPCODE_NAMES.map((n, i) => [n, i] as const)
      .filter(([n]) => !['SOCKET', 'OPENAT', 'OPENAT2', 'CONNECT', 'BIND'].includes(n));
    const flagNames = Object.keys(SQE_FLAGS) as (keyof typeof SQE_FLAGS)[];
    fc.assert(fc.property(
      fc.constantFrom(...nonFdOps),
      fc.subarray(flagNames),
      u(64), u(64), u(64), u(32), u(32), u(16), u(16), u(16), u(32), u(64), fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      fc.gen(),
      ([opName, op], flags, ud, off, addr, len, opf, ioprio, buf, pers, fidx, addr3, fd, g) => {
        const f = (v: bigint) => g(() => spell(v));
        const fdText = fd < 0 ? String(fd) : f(BigInt(fd));
        const flagText = flags.length ? ` flags=${flags.join('|')}` : '';
        const line = ` sqe r op=${opName} ud=${f(ud)}${flagText} fd=${fdText} off=${f(off)} addr=${f(addr)} len=${f(len)} ` +
          `opf=${f(opf)} ioprio=${f(ioprio)} buf=${f(buf)} pers=${f(pers)} fidx=${f(fidx)} addr3=${f(addr3)}`;
        const [, c] = commands(' ring r\n' + line);
        expect(c.c).toBe('sqe');
        if (c.c !== 'sqe') return;
        expect(c.sqe).toEqual({
          opcode: op, flags: flags.reduce((a, n) => a | SQE_FLAGS[n], 0), ud, ioprio: Number(ioprio), fd, off, addr,
          len: Number(len), opf: Number(opf), buf: Number(buf), pers: Number(pers), fidx: Number(fidx), addr3,
        });
      },
    ), RUNS);
  });

  it('a negative raw value is stored two\'s-complement in its width', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 31n), max: -1n }), fc.bigInt({ min: -(1n << 63n), max: -1n }), (v32, v64) => {
      const [, c] = commands(` ring r\n sqe r op=NOP len=${v32} off=${v64}`);
      if (c.c !== 'sqe') throw new Error();
      expect(c.sqe.len).toBe(Number(v32 + (1n << 32n)));
      expect(c.sqe.off).toBe(v64 + (1n << 64n));
    }), RUNS);
  });
});

describe('IPv6 text', () => {
  const groupsOf = (b: Uint8Array) => Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  /** The longest run of zero groups (length ≥ 2) compressed to `::`, as RFC 5952 writes it. */
  const compressed = (gs: number[]) => {
    let best = -1, bestLen = 0;
    for (let i = 0; i < 8;) {
      if (gs[i] !== 0) { i++; continue; }
      let j = i;
      while (j < 8 && gs[j] === 0) j++;
      if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
      i = j;
    }
    const hex = gs.map((g) => g.toString(16));
    if (best < 0) return hex.join(':');
    return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
  };
  const address = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });

  it('full and compressed forms give the same sixteen bytes', () => {
    fc.assert(fc.property(address, (gs) => {
      const full = gs.map((g) => g.toString(16).padStart(4, '0')).join(':');
      expect(groupsOf(parseIPv6(full)!)).toEqual(gs);
      expect(groupsOf(parseIPv6(compressed(gs))!)).toEqual(gs);
      expect(groupsOf(parseIPv6(compressed(gs).toUpperCase())!)).toEqual(gs);
    }), RUNS);
  });

  it('an embedded IPv4 tail is the last two groups', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (b) => {
      const r = parseIPv6(`::ffff:${b.join('.')}`)!;
      expect(Array.from(r)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...b]);
    }), RUNS);
  });

  it('rejects what is not an address', () => {
    for (const bad of ['', ':', '1:2', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '::1.2.3', '1:2:3:4:5:6:7::8:9']) {
      expect(parseIPv6(bad), bad).toBeUndefined();
    }
  });
});
