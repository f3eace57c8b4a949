// Contexts built by field name, and input-format detection.
import { describe, expect, it } from 'vitest';
import { packContext, detectFormat, loadProgram, encodeBinary, formatC, formatBpfAsm, validate, compile, interpret } from '../../model/bpf/index.ts';
import { CTX_V5, CTX_V7 } from '../../model/abi/ctx.ts';
import { PROFILES } from '../../model/profile/profiles.ts';
import type { Insn } from '../../model/bpf/insn.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('packContext', () => {
  it('lays fields out little-endian, and network-order fields big-endian', () => {
    const r = packContext(CTX_V7, [
      ['user_data', 0x1122334455667788n], ['opcode', 45n], ['sqe_flags', 0x14n], ['pdu_size', 12n],
      ['connect.port', 0x1f90n], ['connect.v4_addr', 0x7f000001n],
    ]);
    expect(r.ok && [...r.value]).toEqual([0x55667788, 0x11223344, 0x000c142d, 0, 0, 0x0000901f, 0x0100007f, 0, 0, 0]);
  });

  it('writes u64 fields across two words and wraps negatives to the field width', () => {
    const r = packContext(CTX_V7, [['open.flags', 0x100000241n], ['open.resolve', -1n]]);
    expect(r.ok && [...r.value.slice(4, 10)]).toEqual([0x241, 1, 0, 0, 0xffffffff, 0xffffffff]);
  });

  it('uses the v5 layout: 16 words, opcode at byte 0', () => {
    const r = packContext(CTX_V5, [['opcode', 45n], ['user_data', 7n]]);
    expect(r.ok && r.value.length).toBe(16);
    expect(r.ok && [r.value[0], r.value[2]]).toEqual([45, 7]);
  });

  it('refuses unknown fields and values that do not fit', () => {
    expect(packContext(CTX_V7, [['nope', 1n]]).ok).toBe(false);
    expect(packContext(CTX_V7, [['opcode', 256n]]).ok).toBe(false);
  });
});

describe('input formats', () => {
  const insns: Insn[] = [{ code: 6, jt: 0, jf: 0, k: 1 }];
  it.each([
    ['p.bin', encodeBinary(insns), 'bin'],
    ['p', encodeBinary(insns), 'bin'],
    ['p.h', enc(formatC(insns)), 'c'],
    ['p.txt', enc(formatBpfAsm(insns)), 'bpf_asm'],
    ['p.bpf', enc('ret #1\n'), 'asm'],
    ['p.bpf', enc('6:0:0:1\n'), 'asm'],
  ] as const)('%s is read as %s', (file, bytes, format) => {
    expect(detectFormat(bytes, file)).toBe(format);
    const r = loadProgram(bytes, file);
    expect(r.ok && r.value.insns).toEqual(insns);
  });

  it('refuses an empty binary file', () => {
    expect(loadProgram(new Uint8Array(0), 'p.bin').ok).toBe(false);
  });
});

describe('very many jump targets', () => {
  it('compiles through the switch form and agrees with the interpreter', () => {
    // 1,200 chained tests, each jumping to the next test on a miss: 1,200 distinct targets
    const n = 1200;
    const insns: Insn[] = [{ code: 0x20, jt: 0, jf: 0, k: 16 }];
    for (let i = 0; i < n; i++) insns.push({ code: 0x15, jt: 0, jf: 1, k: i }, { code: 0x06, jt: 0, jf: 0, k: i + 1 });
    insns.push({ code: 0x06, jt: 0, jf: 0, k: 0 });
    // jt = 0 falls to the ret right after; jf = 1 skips it to the next test
    const v = validate(insns, PROFILES['7.3']);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    const f = compile(v.program);
    for (const fam of [0, 1, 599, 1199, 1200, 5000]) {
      const ctx = new Uint32Array(10);
      ctx[4] = fam;
      expect(f(ctx)).toBe(interpret(v.program, ctx));
      expect(f(ctx)).toBe(fam < n ? fam + 1 : 0);
    }
  });
});
