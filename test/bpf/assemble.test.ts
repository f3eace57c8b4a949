// The assembler against hand-encoded instructions (bpf_asm's grammar, tools/bpf/bpf_exp.y),
// and its errors: each names the line and column of the bad token.
import { describe, expect, it } from 'vitest';
import { assemble, assembleDetailed, BPF } from '../../model/bpf/index.ts';
import { CTX_V5 } from '../../model/abi/ctx.ts';
import type { Insn } from '../../model/bpf/insn.ts';

const q = (code: number, jt: number, jf: number, k: number): Insn => ({ code, jt, jf, k: k >>> 0 });

function asm(text: string): Insn[] {
  const r = assemble(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function asmErr(text: string, opts = {}) {
  const r = assemble(text, opts);
  if (r.ok) throw new Error(`assembled: ${JSON.stringify(r.value)}`);
  return r.error;
}

describe('one instruction per form', () => {
  // code values written out by hand from linux/bpf_common.h, not computed from BPF.*
  it.each([
    ['ld #7', q(0x00, 0, 0, 7)],
    ['ldi 7', q(0x00, 0, 0, 7)],
    ['ldi #7', q(0x00, 0, 0, 7)],
    ['ld [16]', q(0x20, 0, 0, 16)],
    ['ldh [2]', q(0x28, 0, 0, 2)],
    ['ldb [3]', q(0x30, 0, 0, 3)],
    ['ld [x + 4]', q(0x40, 0, 0, 4)],
    ['ldh [%x+4]', q(0x48, 0, 0, 4)],
    ['ldb [x + 1]', q(0x50, 0, 0, 1)],
    ['ld M[5]', q(0x60, 0, 0, 5)],
    ['ld len', q(0x80, 0, 0, 0)],
    ['ld #len', q(0x80, 0, 0, 0)],
    ['ld #proto', q(0x20, 0, 0, 0xfffff000)],
    ['ldb #rand', q(0x30, 0, 0, 0xfffff038)],
    ['ldx #9', q(0x01, 0, 0, 9)],
    ['ldxi 9', q(0x01, 0, 0, 9)],
    ['ldx M[15]', q(0x61, 0, 0, 15)],
    ['ldx len', q(0x81, 0, 0, 0)],
    ['ldxb 4*([14]&0xf)', q(0xb1, 0, 0, 14)],
    ['ldx 4 * ([14] & 0xf)', q(0xb1, 0, 0, 14)],
    ['st M[1]', q(0x02, 0, 0, 1)],
    ['stx M[2]', q(0x03, 0, 0, 2)],
    ['add #1', q(0x04, 0, 0, 1)],
    ['add x', q(0x0c, 0, 0, 0)],
    ['sub %x', q(0x1c, 0, 0, 0)],
    ['mul #3', q(0x24, 0, 0, 3)],
    ['div #3', q(0x34, 0, 0, 3)],
    ['or #3', q(0x44, 0, 0, 3)],
    ['and #3', q(0x54, 0, 0, 3)],
    ['lsh #3', q(0x64, 0, 0, 3)],
    ['rsh x', q(0x7c, 0, 0, 0)],
    ['neg', q(0x84, 0, 0, 0)],
    ['mod #3', q(0x94, 0, 0, 3)],
    ['xor x', q(0xac, 0, 0, 0)],
    ['tax', q(0x07, 0, 0, 0)],
    ['txa', q(0x87, 0, 0, 0)],
    ['ret #1', q(0x06, 0, 0, 1)],
    ['ret a', q(0x16, 0, 0, 0)],
    ['ret %a', q(0x16, 0, 0, 0)],
    ['ret x', q(0x0e, 0, 0, 0)],
    ['RET #1', q(0x06, 0, 0, 1)],
    ['ret #-1', q(0x06, 0, 0, 0xffffffff)],
    ['ret #0x7fff0000', q(0x06, 0, 0, 0x7fff0000)],
    ['ret #0b101', q(0x06, 0, 0, 5)],
    ['ret #0644', q(0x06, 0, 0, 0o644)],
  ])('%s', (text, expected) => {
    expect(asm(text)).toEqual([expected]);
  });
});

describe('symbolic immediates and context fields', () => {
  it.each([
    ['ld #AF_INET', 2],
    ['ld #AF_INET6', 10],
    ['ld #SOCK_STREAM|SOCK_NONBLOCK', 0x801],
    ['ld #O_CREAT|O_TRUNC', 0x240],
    ['ld #O_CREAT | O_TRUNC', 0x240],
    ['ld #RESOLVE_IN_ROOT', 0x10],
    ['ld #SOCKET', 45],
    ['ld #IORING_OP_OPENAT2', 28],
    ['ld #EACCES', 13],
    ['ld #-EACCES', 0xfffffff3],
    ['ld #IPPROTO_TCP', 6],
  ])('%s = %i', (text, k) => {
    expect(asm(text)[0].k).toBe(k);
  });

  it.each([
    ['ld [user_data]', 0],
    ['ld [user_data + 4]', 4],
    ['ld [socket.family]', 16],
    ['ld [socket.type]', 20],
    ['ld [socket.protocol]', 24],
    ['ld [open.flags]', 16],
    ['ld [open.mode]', 24],
    ['ld [open.resolve]', 32],
    ['ld [open.resolve + 4]', 36],
    ['ld [connect.family]', 16],
    ['ld [connect.v4_addr]', 24],
    ['ld [connect.v6_addr + 12]', 36],
    ['ldb [opcode]', 8],
    ['ldb [sqe_flags]', 9],
  ])('%s reads offset %i', (text, k) => {
    expect(asm(text)[0].k).toBe(k);
  });

  it('uses the v5 layout when asked', () => {
    const r = assemble('ld [user_data]', { layout: CTX_V5 });
    expect(r.ok && r.value[0].k).toBe(8);
  });

  it('explains what the word holds when a field is not a whole aligned word', () => {
    const e = asmErr('ld [opcode]');
    expect(e.loc).toMatchObject({ line: 1, col: 5, len: 6 });
    expect(e.message).toContain('the word at [8] holds opcode (byte 0), sqe_flags (byte 1), pdu_size (byte 2)');
    const p = asmErr('ld [connect.port]');
    expect(p.message).toContain('connect.port (bytes 0-1, network byte order), connect.pad (bytes 2-3)');
    const h = asmErr('ld [open.flags + 2]');
    expect(h.message).toContain('offset 18');
  });
});

describe('labels and jumps', () => {
  it('assembles the trace-format example', () => {
    const text = [
      'ld [16]              # socket.family',
      'jeq #AF_INET, drop, keep',
      'keep: ret #1',
      'drop: ret #0',
    ].join('\n');
    expect(asm(text)).toEqual([q(0x20, 0, 0, 16), q(0x15, 1, 0, 2), q(0x06, 0, 0, 1), q(0x06, 0, 0, 0)]);
  });

  it('one target means jt, with jf falling through; the negated forms set jf', () => {
    const text = 'jeq #1, a\njneq #2, a\njne x, a\njlt #3, a\njle #4, a\njgt x, a\njge #5, a\njset #6, a\na: ret #0';
    expect(asm(text)).toEqual([
      q(0x15, 7, 0, 1), q(0x15, 0, 6, 2), q(0x1d, 0, 5, 0), q(0x35, 0, 4, 3), q(0x25, 0, 3, 4),
      q(0x2d, 2, 0, 0), q(0x35, 1, 0, 5), q(0x45, 0, 0, 6), q(0x06, 0, 0, 0),
    ]);
  });

  it('ja and jmp take a label as k; a label may stand alone on its line', () => {
    expect(asm('ja end\nld #1\nend:\n  ret a')).toEqual([q(0x05, 0, 0, 1), q(0x00, 0, 0, 1), q(0x16, 0, 0, 0)]);
    expect(asm('jmp e\ne: ret a')).toEqual([q(0x05, 0, 0, 0), q(0x16, 0, 0, 0)]);
  });

  it('reaches 255 instructions ahead with jt but not 256', () => {
    const body = (n: number) => ['jeq #1, far', ...Array(n).fill('ld #0'), 'far: ret #0'].join('\n');
    expect(asm(body(255))[0].jt).toBe(255);
    const e = asmErr(body(256));
    expect(e.kind).toBe('range');
    expect(e.loc).toMatchObject({ line: 1, col: 9 });
  });

  it('records source lines and labels', () => {
    const r = assembleDetailed('\n  ld #1 ; one\nx: ret a', { line0: 10 });
    expect(r.ok && r.value.lines).toEqual([11, 12]);
    expect(r.ok && [...r.value.labels]).toEqual([['x', 1]]);
  });
});

describe('quads and comments', () => {
  it('accepts raw code:jt:jf:k quads mixed with mnemonics', () => {
    expect(asm('0x20:0:0:16\n  21:1:0:AF_INET\nret #1\nl: 6:0:0:0')).toEqual([
      q(0x20, 0, 0, 16), q(21, 1, 0, 2), q(0x06, 0, 0, 1), q(0x06, 0, 0, 0),
    ]);
  });

  it('strips ;, //, /* */ and # comments but keeps #immediates', () => {
    expect(asm('# heading\n/* block\n still */ ld #1 // c\nret #2 ; c\nret #3 # c')).toEqual([
      q(0, 0, 0, 1), q(6, 0, 0, 2), q(6, 0, 0, 3),
    ]);
  });

  it('checks quad field widths', () => {
    expect(asmErr('0x10000:0:0:0').kind).toBe('range');
    const e = asmErr('6:256:0:0');
    expect(e.loc).toMatchObject({ col: 3, len: 3 });
  });
});

describe('errors are located', () => {
  it.each([
    ['foo #1', 1, 1, 'unknown instruction'],
    ['ld #AF_INETT', 1, 5, "unknown name 'AF_INETT'"],
    ['ld [socket.famly]', 1, 5, 'unknown context field'],
    ['ret #1\nret #0x100000000', 2, 6, 'does not fit in 32 bits'],
    ['jeq #1, nowhere\nret #0', 1, 9, "no label 'nowhere'"],
    ['a: ret #1\nb: ja a', 2, 7, 'only forward'],
    ['a: ret #1\na: ret #2', 2, 1, 'already defined'],
    ['ret', 1, 4, 'line ends too early'],
    ['ret #1 2', 1, 8, "unexpected '2'"],
    ['ld @', 1, 4, "unexpected character '@'"],
    ['ldxb 2*([14]&0xf)', 1, 6, 'ldxb only supports'],
    ['', 1, 1, 'no instructions'],
    ['jeq #1, end\nend:', 1, 9, 'after the last instruction'],
  ])('%j -> line %i col %i', (text, line, col, msg) => {
    const e = asmErr(text, { file: 'f.bpf' });
    expect(e.loc).toMatchObject({ file: 'f.bpf', line, col });
    expect(e.message).toContain(msg);
  });

  it.each([
    ['ret #1\n  jeq #1, far_away, x\nx: ret #0', { line: 2, col: 11, len: 8 }, "no label 'far_away'"],
    ['ret #1\n\tjeq #1, x, far.away\nx: ret #0', { line: 2, col: 13, len: 8 }, "'far.away' is not a label"],
    ['a: ret #1\r\nb: ja a', { line: 2, col: 7, len: 1 }, 'only forward'],
    ['jgt x, end /* c */, end2\nret #1\nend2: ret #0\nend:', { line: 1, col: 8, len: 3 }, 'after the last instruction'],
  ])('a jump error points at the label name: %j', (text, loc, msg) => {
    // the fixup keeps only the name's offset; its column and length are found again from it
    for (const t of [text, text + '\n; é']) {
      const e = asmErr(t, { file: 'f.bpf' });
      expect(e.loc).toEqual({ file: 'f.bpf', ...loc });
      expect(e.message).toContain(msg);
      const o = asmErr(t, { file: 'f.bpf', line0: 5, col0: 3 });
      expect(o.loc).toEqual({ file: 'f.bpf', line: loc.line + 4, col: loc.col + 3, len: loc.len });
    }
  });

  it('offsets lines and columns into the enclosing file', () => {
    const e = asmErr('ret #1\n  ld #BOGUS', { file: 't.trace', line0: 7, col0: 2 });
    expect(e.loc).toEqual({ file: 't.trace', line: 8, col: 9, len: 5 });
  });

  it('uses BPF constants consistent with the hand encodings', () => {
    expect(BPF.LD | BPF.W | BPF.ABS).toBe(0x20);
    expect(BPF.JMP | BPF.JSET | BPF.X).toBe(0x4d);
  });
});

describe('never throws', () => {
  it('returns a value or a located error for any text', async () => {
    const fc = (await import('fast-check')).default;
    const piece = fc.constantFrom('ld', 'ldx', 'jeq', 'ret', 'st', 'M', '[', ']', '#', '%', 'x', 'a', '+', '*', '&', '(', ')',
      ',', ':', '|', '-', ' ', '\n', '16', '0x', '0b2', '09', 'AF_INET', 'socket.family', 'opcode', 'l1', 'l1:', ';', '/*', '*/', '4', 'len', 'proto', '@');
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
      const r = assemble(parts.join(' '), { file: 'f' });
      if (!r.ok) {
        expect(r.error.message.length).toBeGreaterThan(0);
        if (r.error.loc) expect(r.error.loc.line).toBeGreaterThanOrEqual(1);
      }
    }), { numRuns: 500 });
  });
});
