// The disassembler: its text for known programs, and the round-trip property
// (assemble(disassemble(p)) == p) for valid programs and for arbitrary bytes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assemble, disassemble, validate } from '../../model/bpf/index.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { CTX_V5 } from '../../model/abi/ctx.ts';
import { PROFILES } from '../../model/profile/profiles.ts';
import { anyInsn, validProgram } from './gen.ts';

const q = (code: number, jt: number, jf: number, k: number): Insn => ({ code, jt, jf, k: k >>> 0 });

function roundTrip(insns: Insn[], opts = {}): void {
  const text = disassemble(insns, opts);
  const back = assemble(text, opts);
  if (!back.ok) throw new Error(`${back.error.message} at ${back.error.loc?.line}:${back.error.loc?.col} in\n${text}`);
  expect(back.value).toEqual(insns);
}

describe('text', () => {
  it('prints bpf_asm with labels on jump targets', () => {
    const insns = [q(0x20, 0, 0, 16), q(0x15, 1, 0, 2), q(0x06, 0, 0, 1), q(0x06, 0, 0, 0)];
    expect(disassemble(insns)).toBe('    ld [16]\n    jeq #2, L3\n    ret #1\nL3: ret #0\n');
  });

  it('annotates fields, constants and verdicts for a payload', () => {
    const insns = [q(0x20, 0, 0, 16), q(0x15, 0, 1, 10), q(0x06, 0, 0, 0), q(0x20, 0, 0, 20), q(0x45, 0, 1, 0x80800), q(0x06, 0, 0, 0), q(0x06, 0, 0, 1)];
    const text = disassemble(insns, { annotate: true, payload: 'socket' });
    expect(text).toContain('; socket.family\n');
    expect(text).toContain('; socket.family AF_INET6');
    expect(text).toContain('; socket.type SOCK_NONBLOCK|SOCK_CLOEXEC');
    expect(text).toContain('; deny');
    expect(text).toContain('; allow');
    const open = disassemble([q(0x20, 0, 0, 16), q(0x45, 0, 1, 0x240), q(0x06, 0, 0, 0), q(0x06, 0, 0, 1)], { annotate: true, payload: 'open' });
    expect(open).toContain('open.flags O_CREAT|O_TRUNC');
    expect(disassemble([q(0x20, 0, 0, 8), q(0x06, 0, 0, 1)], { annotate: true })).toContain('opcode (byte 0), sqe_flags (byte 1), pdu_size (byte 2), pad (byte 3)');
  });

  it('names opcode and sqe_flags values once a byte is masked out of word 8', () => {
    const r = assemble('ld [8]\nand #0xff\njeq #SOCKET, s\nld [8]\nrsh #8\nand #0xff\njset #IO_LINK|ASYNC, d\nld [8]\njeq #45, d\ns: ret #1\nd: ret #0');
    const text = r.ok ? disassemble(r.value, { annotate: true }) : '';
    expect(text).toContain('jeq #45, L9                  ; opcode SOCKET');
    expect(text).toContain('jset #0x14, L10              ; sqe_flags IO_LINK|ASYNC');
    // comparing the whole word is not comparing the opcode
    expect(text).toMatch(/ld \[8\].*\n\s+jeq #45, L10\n/);
  });

  it('falls back to quads where bpf_asm has no spelling', () => {
    expect(disassemble([q(0x06, 3, 0, 1)])).toBe('0x06:3:0:1\n');
    expect(disassemble([q(0x0c, 0, 0, 5)])).toBe('0x0c:0:0:5\n');
    expect(disassemble([q(0x21, 0, 0, 16)])).toBe('0x21:0:0:16\n');
    expect(disassemble([q(0x15, 9, 0, 1)])).toBe('0x15:9:0:1\n'); // target past the end
  });

  it('shows the rewritten program of a validated filter', () => {
    const v = validate([q(0x20, 0, 0, 16), q(0x80, 0, 0, 0), q(0x16, 0, 0, 0)], PROFILES['7.3']);
    const text = v.ok ? disassemble(v.program.insns, { annotate: true }) : '';
    expect(text).toContain("0x21:0:0:16");
    expect(text).toContain('ld #40');
  });
});

describe('round trip', () => {
  it('valid programs come back identical, with and without annotations', () => {
    fc.assert(fc.property(validProgram(40, 30), fc.boolean(), (insns, annotate) => roundTrip(insns, { annotate })), { numRuns: 300 });
  });

  it('with symbolic operands (fields and constants by name), programs come back identical', () => {
    // loads of every context word, and comparisons with constants that have names (AF_INET,
    // SOCK_STREAM|SOCK_NONBLOCK, O_CREAT|O_TRUNC, opcodes) and some that do not
    const op = fc.oneof(
      fc.constantFrom(0, 4, 8, 12, 16, 20, 24, 28, 32, 36).map((k) => q(0x20, 0, 0, k)),
      fc.tuple(fc.constantFrom(0x15, 0x25, 0x35, 0x45), fc.oneof(fc.constantFrom(0, 1, 2, 3, 10, 17, 0x40, 0x200, 0x241, 0x80001, 0x800, 0x80800, 45, 0xffff), fc.nat())).map(([c, k]) => q(c, 0, 0, k)),
      fc.constantFrom(q(0x54, 0, 0, 0xff), q(0x74, 0, 0, 8), q(0x74, 0, 0, 16)),
    );
    const prog = fc.array(op, { minLength: 1, maxLength: 12 }).map((is) => [...is, q(0x06, 0, 0, 1)]);
    fc.assert(fc.property(prog, fc.constantFrom(undefined, 'socket', 'open', 'connect'), fc.constantFrom(undefined, CTX_V5), (insns, payload, layout) =>
      roundTrip(insns, { annotate: true, symbolic: true, payload, ...(layout ? { layout } : {}) })), { numRuns: 500 });
    const text = disassemble([q(0x20, 0, 0, 16), q(0x15, 1, 0, 2), q(0x06, 0, 0, 1), q(0x06, 0, 0, 0)], { annotate: true, symbolic: true, payload: 'socket' });
    expect(text).toContain('ld [socket.family]');
    expect(text).toContain('jeq #AF_INET, L3');
  });

  it('valid v5 programs come back identical', () => {
    fc.assert(fc.property(validProgram(64, 20), (insns) => roundTrip(insns, { annotate: true, layout: CTX_V5 })), { numRuns: 100 });
  });

  it('arbitrary instructions come back identical', () => {
    fc.assert(fc.property(fc.array(anyInsn, { minLength: 1, maxLength: 12 }), (insns) => roundTrip(insns, { annotate: true })), { numRuns: 300 });
  });

  it('arbitrary instructions from the classic opcode set come back identical', () => {
    const codes = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x0e, 0x15, 0x16, 0x1d, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
      0x60, 0x61, 0x80, 0x81, 0x84, 0x87, 0x94, 0x9c, 0xb1, 0x35, 0x3d, 0x45, 0x4d, 0x25, 0x2d, 0xa4, 0xac];
    const insn = fc.record({
      code: fc.constantFrom(...codes),
      jt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 255 })),
      jf: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8 })),
      k: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 20 }), fc.constantFrom(0xfffff000, 0xfffff004, 0xfffff030, 0xfffff028), fc.integer({ min: 0, max: 0xffffffff })),
    });
    fc.assert(fc.property(fc.array(insn, { minLength: 1, maxLength: 16 }), (insns) => roundTrip(insns)), { numRuns: 400 });
  });
});
