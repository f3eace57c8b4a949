// Filter-file format detection (issue 11 item 5) and located errors, table-driven:
// each form read by content (never by name), the ambiguous cases the issue found,
// and for every input that is refused, a file:line:col and what was expected.
// The rule is stated in docs/bpf.md "Input formats"; each row says which clause decides.
import { describe, expect, it } from 'vitest';
import { detectFormat, encodeBinary, formatBpfAsm, formatC, loadProgram, type InputFormat } from '../../model/bpf/index.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { main } from '../../sim/cli/main.ts';
import { memoryIo } from '../../sim/cli/io.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const P: Insn[] = [{ code: 0x20, jt: 0, jf: 0, k: 16 }, { code: 0x15, jt: 0, jf: 1, k: 2 }, { code: 6, jt: 0, jf: 0, k: 0 }, { code: 6, jt: 0, jf: 0, k: 1 }];
const ASM = 'ld [16]\njeq #2, deny, allow\ndeny: ret #0\nallow: ret #1\n';

describe('detected by content', () => {
  const rows: [string, string, Uint8Array, Exclude<InputFormat, 'auto'>][] = [
    ['binary records (NUL, every code high byte NUL)', 'p.bin', encodeBinary(P), 'bin'],
    ['binary named .txt', 'p.txt', encodeBinary(P), 'bin'],
    ['assembler text', 'p.bpf', enc(ASM), 'asm'],
    ['assembler text named .bin', 'p.bin', enc(ASM), 'asm'],
    ['assembler text of a multiple of 8 bytes named .raw', 'p.raw', enc(ASM + ' '.repeat((8 - (ASM.length % 8)) % 8)), 'asm'],
    ['quads', 'p', enc('0x20:0:0:16\n0x15:0:1:2\n6:0:0:0\n6:0:0:1\n'), 'asm'],
    ['tcpdump -dd lines', 'p.h', enc(formatC(P)), 'c'],
    ['a C declaration with comments', 'p.c', enc(`/* deny AF_INET */\nstruct sock_filter code[] = {\n${formatC(P)}};\n`), 'c'],
    ['a C declaration with static const', 'p.c', enc(`// x\nstatic const struct sock_filter code[4] = {\n${formatC(P)}};\n`), 'c'],
    ["bpf_asm's decimal line", 'p', enc(formatBpfAsm(P)), 'bpf_asm'],
  ];
  it.each(rows)('%s (%s) is %s and reads back', (_what, file, bytes, format) => {
    expect(detectFormat(bytes, file)).toBe(format);
    const r = loadProgram(bytes, file);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.insns).toEqual(P);
  });
});

describe('ambiguous and bad inputs: the right reader, and a located error', () => {
  const rows: { what: string; bytes: Uint8Array; format?: InputFormat; reader: string; line: number; col: number; says: RegExp }[] = [
    { what: 'a control byte in assembler text', bytes: enc('ld #1\nret a\x01\n'), reader: 'asm', line: 2, col: 6, says: /U\+0001/ },
    { what: 'the same padded to 16 bytes (a multiple of 8)', bytes: enc('ld #1\nret a\x01\n    '), reader: 'asm', line: 2, col: 6, says: /U\+0001/ },
    { what: 'a stray NUL in 8 bytes of text', bytes: enc('ret #1\x00\n'), reader: 'asm', line: 1, col: 7, says: /U\+0000/ },
    { what: 'a brace in an assembler operand', bytes: enc('jeq #{2, deny, allow\n'), reader: 'asm', line: 1, col: 6, says: /'\{'/ },
    { what: 'bpf_asm count 0 (forced)', bytes: enc('0,'), format: 'bpf_asm', reader: 'bpf_asm', line: 1, col: 1, says: /count is 0/ },
    { what: 'bpf_asm count 0 (detected)', bytes: enc('0,\n'), reader: 'bpf_asm', line: 1, col: 1, says: /count is 0/ },
    { what: 'bpf_asm count mismatch', bytes: enc('2,6 0 0 1,\n'), reader: 'bpf_asm', line: 1, col: 1, says: /count says 2/ },
    { what: 'C: three fields', bytes: enc('{ 0x06, 0, 0 },\n'), reader: 'c', line: 1, col: 14, says: /expected ',' after jf/ },
    { what: 'C: an unclosed instruction', bytes: enc('{ 0x06, 0, 0, 1 },\n{ 6, 0, 0, 1\n'), reader: 'c', line: 3, col: 1, says: /closing the instruction, found the end/ },
    { what: 'C: text between instructions', bytes: enc('{ 6, 0, 0, 1 },\nret #1\n'), reader: 'c', line: 2, col: 1, says: /expected an instruction, found 'ret'/ },
    { what: 'C: a bad number', bytes: enc('struct sock_filter f[] = {\n  { 6, 0, 0, 0x1g },\n};\n'), reader: 'c', line: 2, col: 14, says: /'0x1g' is not a number/ },
    { what: 'C: an empty array', bytes: enc('struct sock_filter f[] = { };\n'), reader: 'c', line: 1, col: 28, says: /no instructions/ },
    { what: 'C: a field out of range', bytes: enc('{ 6, 256, 0, 1 },\n'), reader: 'c', line: 1, col: 6, says: /jt is a u8/ },
    { what: 'C: forced on assembler text', bytes: enc('ret #1\n'), format: 'c', reader: 'c', line: 1, col: 5, says: /expected a C array/ },
    { what: 'binary: empty (forced)', bytes: new Uint8Array(0), format: 'bin', reader: 'bin', line: 1, col: 1, says: /empty/ },
    { what: 'asm: empty text', bytes: enc('\n; nothing\n'), reader: 'asm', line: 0, col: 0, says: /./ },
  ];
  it.each(rows.map((r) => [r.what, r] as const))('%s', (_what, row) => {
    if (row.format === undefined && row.reader !== 'bin') expect(detectFormat(row.bytes, 'p')).toBe(row.reader);
    const r = loadProgram(row.bytes, 'p.x', row.format ?? 'auto');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(row.says);
    expect(r.error.loc?.file).toBe('p.x');
    if (row.line) expect([r.error.loc?.line, r.error.loc?.col]).toEqual([row.line, row.col]);
    else expect(r.error.loc?.line).toBeGreaterThan(0);
    expect(r.error.expected ?? '').not.toBe('');
  });
  it('a truncated binary file names the byte where the cut instruction starts', () => {
    const b = encodeBinary(P).slice(0, 13);
    expect(detectFormat(b, 'p')).toBe('bin');
    const r = loadProgram(b, 'p');
    expect(!r.ok && r.error.message).toMatch(/instruction 1 starts at byte 8/);
  });
});

describe('the commands answer 2 (bad input), not 1 (the kernel rejects)', () => {
  async function rf(bytes: Uint8Array, ...argv: string[]) {
    const io = memoryIo({ 'p.bpf': bytes });
    const code = await main(argv, io);
    return { code, err: io.stderr };
  }
  for (const cmd of ['check', 'disasm', 'run']) {
    it(`${cmd}: a control byte in text of 16 bytes`, async () => {
      const r = await rf(enc('ld #1\nret a\x01\n    '), cmd, 'p.bpf', ...(cmd === 'run' ? ['--op', 'NOP'] : []));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^p\.bpf:2:6: error: unexpected character U\+0001/);
    });
    it(`${cmd}: --format bpf_asm '0,' is refused`, async () => {
      const r = await rf(enc('0,'), cmd, 'p.bpf', '--format', 'bpf_asm', ...(cmd === 'run' ? ['--op', 'NOP'] : []));
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^p\.bpf:1:1: error: the count is 0/);
    });
  }
  it('asm: jeq #{2 is an assembler error, not "looks like a C array"', async () => {
    const r = await rf(enc('jeq #{2, deny, allow\n'), 'asm', 'p.bpf');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^p\.bpf:1:6: error: unexpected character '\{'/);
  });
});
