// The three data forms of a program: 8-byte little-endian records, the C array and
// bpf_asm's decimal line. Writers are checked against hand-written bytes/text, readers
// by round trip and by their errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  encodeBinary, decodeBinary, formatC, parseC, formatBpfAsm, parseBpfAsm,
} from '../../model/bpf/index.ts';
import type { Insn } from '../../model/bpf/insn.ts';

const prog: Insn[] = [
  { code: 0x20, jt: 0, jf: 0, k: 16 },
  { code: 0x15, jt: 1, jf: 0, k: 2 },
  { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
];

const anyInsn = fc.record({
  code: fc.integer({ min: 0, max: 0xffff }),
  jt: fc.integer({ min: 0, max: 255 }),
  jf: fc.integer({ min: 0, max: 255 }),
  k: fc.integer({ min: 0, max: 0xffffffff }),
});

describe('binary struct sock_filter', () => {
  it('writes code u16 LE, jt, jf, k u32 LE', () => {
    expect([...encodeBinary(prog.slice(1, 2))]).toEqual([0x15, 0, 1, 0, 2, 0, 0, 0]);
    expect([...encodeBinary([{ code: 0x1234, jt: 5, jf: 6, k: 0x0a0b0c0d }])]).toEqual([0x34, 0x12, 5, 6, 0x0d, 0x0c, 0x0b, 0x0a]);
  });

  it('round-trips any instructions', () => {
    fc.assert(fc.property(fc.array(anyInsn, { maxLength: 20 }), (insns) => {
      const r = decodeBinary(encodeBinary(insns));
      expect(r.ok && r.value).toEqual(insns);
    }), { numRuns: 100 });
  });

  it('reports a truncated file', () => {
    const r = decodeBinary(new Uint8Array(13), 'p.bin');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('truncated');
      expect(r.error.message).toContain('instruction 1 starts at byte 8 and has only 5 of its 8 bytes');
    }
  });
});

describe('C array', () => {
  it('prints tcpdump -dd style', () => {
    expect(formatC(prog)).toBe('{ 0x20,  0,  0, 0x00000010 },\n{ 0x15,  1,  0, 0x00000002 },\n{ 0x06,  0,  0, 0xffffffff },\n');
  });

  it('reads it back, with a declaration and comments around it', () => {
    const text = `struct sock_filter code[] = {\n  /* load */ ${formatC(prog).replace(/\n/g, '\n  ')}};\n// end`;
    expect(parseC(text)).toEqual({ ok: true, value: prog });
  });

  it('round-trips any instructions', () => {
    fc.assert(fc.property(fc.array(anyInsn, { minLength: 1, maxLength: 20 }), (insns) => {
      expect(parseC(formatC(insns))).toEqual({ ok: true, value: insns });
    }), { numRuns: 100 });
  });

  it('locates a bad field', () => {
    const r = parseC('{ 0x06, 0, 0, 1 },\n{ 0x06, 0, 300, 1 },', 'c.h');
    expect(!r.ok && r.error.loc).toMatchObject({ file: 'c.h', line: 2, col: 12, len: 3 });
    const w = parseC('{ 0x06, 0, 0 },', 'c.h');
    // Three fields: the parser expected a fourth where the '}' is (issue 11 item 5: located).
    expect(!w.ok && w.error.message).toContain("expected ',' after jf, found '}'");
    expect(!w.ok && w.error.loc).toMatchObject({ file: 'c.h', line: 1, col: 14 });
  });
});

describe('bpf_asm decimal form', () => {
  it('prints N,code jt jf k,...', () => {
    expect(formatBpfAsm(prog)).toBe('3,32 0 0 16,21 1 0 2,6 0 0 4294967295,\n');
  });

  it('round-trips any instructions', () => {
    fc.assert(fc.property(fc.array(anyInsn, { minLength: 1, maxLength: 20 }), (insns) => {
      expect(parseBpfAsm(formatBpfAsm(insns))).toEqual({ ok: true, value: insns });
    }), { numRuns: 100 });
  });

  it('checks the count and the shape', () => {
    const r = parseBpfAsm('2,6 0 0 1,');
    expect(!r.ok && r.error.message).toContain('says 2 instructions but 1 follow');
    const s = parseBpfAsm('1,6 0 1,');
    expect(!s.ok && s.error.message).toContain('3 numbers');
    const t = parseBpfAsm('1,6 0 0 4294967296,', 'p.txt');
    expect(!t.ok && t.error.loc).toMatchObject({ file: 'p.txt', line: 1, col: 9 });
  });
});
