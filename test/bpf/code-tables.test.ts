// Which instruction codes each checker lets through, for every u16 code (and a few
// numbers that are no u16): the checkers look codes up in tables, so this compares
// them with the kernel's lists written out independently, as raw hex.
import { describe, expect, it } from 'vitest';
import { checkClassic, checkIoUring } from '../../model/bpf/index.ts';
import type { Insn } from '../../model/bpf/insn.ts';

// net/core/filter.c chk_code_allowed: ALU K/X (add sub mul div or and lsh rsh mod xor) and neg
const ALU = [0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x94, 0x9c, 0xa4, 0xac, 0x84];
// ld #k, ld M[], ldx #k, ldx M[], st, stx, tax, txa, ret #k, ret a, ja, jeq/jgt/jge/jset K and X
const COMMON = [0x00, 0x60, 0x01, 0x61, 0x02, 0x03, 0x07, 0x87, 0x06, 0x16, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d];
// ld [k] w/h/b, ld len, ld [x+k] w/h/b, ldx len, ldxb 4*([k]&0xf)
const PACKET = [0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x81, 0xb1];
const KERNEL_CLASSIC = new Set([...ALU, ...COMMON, ...PACKET]);
// io_uring_check_cbpf_filter: what passes unchanged (no mod), and what it rewrites (ld [k], ld len, ldx len)
const KERNEL_IO_URING = new Set([...ALU.filter((c) => c !== 0x94 && c !== 0x9c), ...COMMON]);
const REWRITTEN = new Set([0x20, 0x80, 0x81]);

/** The code under test first, then two returns, so k = 1 and jt = jf = 0 land inside the program. */
const probe = (code: number): Insn[] => [{ code, jt: 0, jf: 0, k: 1 }, { code: 0x06, jt: 0, jf: 0, k: 0 }, { code: 0x06, jt: 0, jf: 0, k: 0 }];

describe('code tables', () => {
  it('the generic checker knows exactly the kernel\'s classic codes', () => {
    const wrong: number[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const unknown = checkClassic(probe(code))?.rule === 'code-unknown';
      if (unknown === KERNEL_CLASSIC.has(code)) wrong.push(code);
    }
    expect(wrong).toEqual([]);
  });

  it('io_uring lets through exactly its allow list and rewrites ld [k], ld len and ldx len', () => {
    const wrong: number[] = [];
    for (const code of KERNEL_CLASSIC) {
      const r = checkIoUring(probe(code), 40);
      const refused = !r.ok && r.rejection.rule === 'io-uring-code';
      if (refused === (KERNEL_IO_URING.has(code) || REWRITTEN.has(code))) wrong.push(code);
    }
    expect(wrong).toEqual([]);
  });

  it('a number that is no u16 is no code, even when its low 16 bits are one', () => {
    for (const code of [-1, 0x10006, 0x10016, 6.5, NaN, 2 ** 32 + 6]) {
      expect(checkClassic(probe(code))?.rule).toBe('code-unknown');
      expect(checkIoUring(probe(code), 40)).toMatchObject({ ok: false, rejection: { rule: 'io-uring-code', index: 0 } });
    }
  });
});
