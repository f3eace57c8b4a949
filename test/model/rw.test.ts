// The user-memory range check and the I/O priority check READ/WRITE's prep runs,
// stated from their kernel sources (arch/x86 __access_ok, block/ioprio.c).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { accessOk, importUbuf, MAX_RW_COUNT } from '../../model/ops/memory.ts';
import { ioprioCheckCap } from '../../model/ops/rw.ts';

const TOP = 0x7fffffffefffn; // USER_PTR_MAX on x86-64 with 4-level page tables

describe('access_ok', () => {
  it('passes a range that ends at USER_PTR_MAX and fails one byte further', () => {
    expect(accessOk(TOP - 16n, 16)).toBe(true);
    expect(accessOk(TOP - 15n, 16)).toBe(false);
    expect(accessOk(0n, 0)).toBe(true);
    expect(accessOk(0xffff888000000000n, 1)).toBe(false);
  });
  it('is "addr + size does not pass USER_PTR_MAX", for any addr and size', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat(), (addr, size) => {
      expect(accessOk(addr, size)).toBe(addr + BigInt(size) <= TOP);
    }));
  });
  it('import_ubuf clamps the length to MAX_RW_COUNT before the check', () => {
    expect(importUbuf(0n, 0xffffffff)).toBe(MAX_RW_COUNT);
    expect(importUbuf(TOP - BigInt(MAX_RW_COUNT) + 1n, 0xffffffff)).toBe(-14);
  });
});

describe('ioprio_check_cap', () => {
  const cases: [number, boolean, number][] = [
    [0, false, 0], [1, true, -22], [0x4007, false, 0], [0x4008, false, 0], [0x6000, false, 0],
    [0x2003, true, 0], [0x2000, false, -1], [0x8000, true, -22], [0xe000, true, -22],
  ];
  for (const [ioprio, cap, want] of cases) {
    it(`ioprio ${ioprio.toString(16)} ${cap ? 'with' : 'without'} capabilities → ${want}`, () => {
      expect(ioprioCheckCap(ioprio, cap)).toBe(want);
    });
  }
});
