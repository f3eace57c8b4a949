// The asm, disasm, check and run commands, in memory: their output, JSON and exit codes,
// and located errors (never a stack trace) for bad input.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../sim/cli/main.ts';
import { memoryIo } from '../../sim/cli/io.ts';
import { encodeBinary } from '../../model/bpf/index.ts';

const DENY_INET = `; deny IPv4 sockets, allow everything else
  ld [socket.family]
  jeq #AF_INET, drop, keep
keep: ret #1
drop: ret #0
`;
const UNINIT = 'ld [socket.family]\nst M[0]\njeq #AF_INET, drop\nld M[1]\ndrop: ret #0\n';
const BIN = encodeBinary([{ code: 0x20, jt: 0, jf: 0, k: 16 }, { code: 0x15, jt: 1, jf: 0, k: 2 }, { code: 6, jt: 0, jf: 0, k: 1 }, { code: 6, jt: 0, jf: 0, k: 0 }]);

async function rf(files: Record<string, string | Uint8Array>, ...argv: string[]) {
  const io = memoryIo(files);
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe('asm', () => {
  it('prints quads by default and the other forms on request', async () => {
    const f = { 'p.bpf': DENY_INET };
    expect(await rf(f, 'asm', 'p.bpf')).toEqual({ code: 0, out: '0x20:0:0:16\n0x15:1:0:2\n0x06:0:0:1\n0x06:0:0:0\n', err: '' });
    expect((await rf(f, 'asm', 'p.bpf', '--format', 'c')).out).toContain('{ 0x15,  1,  0, 0x00000002 },');
    expect((await rf(f, 'asm', 'p.bpf', '--format', 'bpf_asm')).out).toBe('4,32 0 0 16,21 1 0 2,6 0 0 1,6 0 0 0,\n');
  });

  it('writes binary records to --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-asm-'));
    const out = join(dir, 'p.bin');
    expect((await rf({ 'p.bpf': DENY_INET }, 'asm', 'p.bpf', '--format', 'bin', '--out', out)).code).toBe(0);
    expect([...readFileSync(out)]).toEqual([...BIN]);
  });

  it('reports a located error with a caret and exit 2', async () => {
    const r = await rf({ 'p.bpf': 'ret #1\n  jeq #AF_INETT, x\n' }, 'asm', 'p.bpf');
    expect(r.code).toBe(2);
    expect(r.err).toContain("p.bpf:2:8: error: unknown name 'AF_INETT'");
    expect(r.err).toContain('   2 |   jeq #AF_INETT, x\n              ^^^^^^^^');
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
  });

  it('rejects bad options without a stack trace', async () => {
    expect((await rf({ 'p.bpf': DENY_INET }, 'asm', 'p.bpf', '--format', 'hex')).code).toBe(2);
    expect((await rf({}, 'asm', 'missing.bpf')).err).toContain('cannot read missing.bpf');
    expect((await rf({}, 'asm')).code).toBe(2);
  });
});

describe('disasm', () => {
  it('reads binary and prints annotated bpf_asm, fields and constants by name', async () => {
    const r = await rf({ 'p.bin': BIN }, 'disasm', 'p.bin', '--annotate', '--op', 'SOCKET');
    expect(r.code).toBe(0);
    expect(r.out).toBe([
      '    ld [socket.family]',
      '    jeq #AF_INET, L3',
      '    ret #1                       ; allow',
      'L3: ret #0                       ; deny',
      '',
    ].join('\n'));
    // the names assemble back to the same instructions
    const back = await rf({ 'p.asm': r.out }, 'asm', 'p.asm');
    const plain = await rf({ 'p.bin': BIN }, 'disasm', 'p.bin');
    expect(back.out).toBe((await rf({ 'p.asm': plain.out }, 'asm', 'p.asm')).out);
  });

  it('without --op, keeps the offset where payload members share it, and names it in a comment', async () => {
    const r = await rf({ 'p.bin': BIN }, 'disasm', 'p.bin', '-a');
    expect(r.out.split('\n')[0]).toBe('    ld [16]                      ; socket.family, open.flags (low word), connect.family');
  });

  it('reads the C array and the decimal form', async () => {
    const c = '{ 0x06, 0, 0, 0x00000001 },\n';
    expect((await rf({ 'p.h': c }, 'disasm', 'p.h')).out).toBe('ret #1\n');
    expect((await rf({ 'p.txt': '1,6 0 0 0,' }, 'disasm', 'p.txt')).out).toBe('ret #0\n');
  });

  it('says where a truncated binary ends', async () => {
    const r = await rf({ 'p.bin': BIN.slice(0, 13) }, 'disasm', 'p.bin');
    expect(r.code).toBe(2);
    expect(r.err).toContain('13 bytes is not a whole number of 8-byte instructions');
  });
});

describe('check', () => {
  it('accepts a good filter', async () => {
    const r = await rf({ 'p.bpf': DENY_INET }, 'check', 'p.bpf', '--op', 'SOCKET');
    expect(r).toMatchObject({ code: 0, out: 'ret 0: kernel 7.3 accepts this 4-instruction filter for SOCKET\n' });
    const j = await rf({ 'p.bpf': DENY_INET }, 'check', 'p.bpf', '--json');
    expect(JSON.parse(j.out)).toEqual({ ret: 0, kernel: '7.3', insns: 4 });
  });

  it('names the rule, the instruction and the source line of a rejection', async () => {
    const r = await rf({ 'p.bpf': UNINIT }, 'check', 'p.bpf');
    expect(r.code).toBe(1);
    expect(r.out).toContain("ret -EINVAL (22): rejected by rule 'uninit-mem' at instruction 3");
    expect(r.out).toContain('p.bpf:4:1: error: instruction 3: reads M[1]');
    const j = JSON.parse((await rf({ 'p.bpf': UNINIT }, 'check', 'p.bpf', '--json')).out);
    expect(j).toMatchObject({ ret: -22, errno: 'EINVAL', rule: 'uninit-mem', index: 3, line: 4 });
  });

  it('uses the profile\'s context size', async () => {
    const f = { 'p.bpf': 'ld [60]\nret a\n' };
    expect((await rf(f, 'check', 'p.bpf', '--kernel', 'v5')).code).toBe(0);
    expect(JSON.parse((await rf(f, 'check', 'p.bpf', '--json')).out)).toMatchObject({ ret: -22, rule: 'ld-abs-range', index: 0 });
  });

  it('rejects an opcode at or beyond IORING_OP_LAST', async () => {
    const j = JSON.parse((await rf({ 'p.bpf': DENY_INET }, 'check', 'p.bpf', '--op', '65', '--json')).out);
    expect(j).toMatchObject({ ret: -22, rule: 'op-range' });
    expect((await rf({ 'p.bpf': DENY_INET }, 'check', 'p.bpf', '--op', '64')).code).toBe(0);
    expect((await rf({ 'p.bpf': DENY_INET }, 'check', 'p.bpf', '--op', 'BOGUS')).code).toBe(2);
    expect((await rf({ 'p.bpf': DENY_INET }, 'check', 'p.bpf', '--kernel', '9.9')).code).toBe(2);
  });

  it('shows the program as io_uring rewrote it', async () => {
    const r = await rf({ 'p.bpf': 'ld len\nret a\n' }, 'check', 'p.bpf', '--show');
    expect(r.out).toContain('ld #40');
  });
});

describe('run', () => {
  it('runs on a context built from --field values, with symbolic values', async () => {
    const f = { 'p.bpf': DENY_INET };
    const deny = await rf(f, 'run', 'p.bpf', '--op', 'SOCKET', '--field', 'socket.family=AF_INET');
    expect(deny).toMatchObject({ code: 0, out: 'ret 0: deny (SOCKET, kernel 7.3)\npath: 0 -> 1 -> 3\n' });
    const allow = JSON.parse((await rf(f, 'run', 'p.bpf', '--op', 'SOCKET', '--field', 'socket.family=AF_INET6', '--json')).out);
    expect(allow).toMatchObject({ ret: 1, verdict: 'allow', path: [0, 1, 2] });
  });

  it('fills opcode and pdu_size as the kernel does', async () => {
    const j = JSON.parse((await rf({ 'p.bpf': 'ld [8]\nret a\n' }, 'run', 'p.bpf', '--op', 'SOCKET', '--json')).out);
    expect(j.ret).toBe(45 | (12 << 16)); // opcode 45 in byte 0, pdu_size 12 in byte 2
    const o = JSON.parse((await rf({ 'p.bpf': 'ld [8]\nret a\n' }, 'run', 'p.bpf', '--op', 'OPENAT2', '--json', '--field', 'sqe_flags=IO_LINK|ASYNC')).out);
    expect(o.ret).toBe(28 | (0x14 << 8) | (24 << 16));
  });

  it('stores network-order fields as the kernel does', async () => {
    const f = { 'p.bpf': 'ld [20]\nret a\n' };
    const j = JSON.parse((await rf(f, 'run', 'p.bpf', '--op', 'CONNECT', '--field', 'connect.port=80', '--json')).out);
    expect(j.ret).toBe(0x5000); // bytes 00 50 at offset 20, read as a little-endian word
    const a = JSON.parse((await rf({ 'p.bpf': 'ld [24]\nret a\n' }, 'run', 'p.bpf', '--op', 'CONNECT', '--field', 'connect.v4_addr=127.0.0.1', '--json')).out);
    expect(a.ret).toBe(0x0100007f);
  });

  it('traces every step', async () => {
    const r = await rf({ 'p.bpf': 'ld [socket.type]\nst M[3]\nldx M[3]\ndiv x\nret a\n' }, 'run', 'p.bpf', '--op', 'SOCKET', '--trace');
    expect(r.out).toContain('A <- ctx[socket.type] = 0x00000000');
    expect(r.out).toMatch(/^ +0 {2}ld \[socket\.type\] /m);
    expect(r.out).toContain('M[3] <- 0x00000000');
    expect(r.out).toContain('division by X == 0');
    expect(r.out.split('\n')[0]).toBe('ret 0: deny (SOCKET, kernel 7.3)');
  });

  it('refuses fields outside the opcode\'s payload, unknown fields and values that do not fit', async () => {
    const f = { 'p.bpf': DENY_INET };
    const w = await rf(f, 'run', 'p.bpf', '--op', 'OPENAT', '--field', 'socket.family=AF_INET');
    expect(w.code).toBe(2);
    expect(w.err).toContain("'socket.family' is part of the socket payload, but OPENAT carries the open payload");
    expect((await rf(f, 'run', 'p.bpf', '--op', 'SOCKET', '--field', 'socket.famly=1')).err).toContain("unknown context field 'socket.famly'");
    expect((await rf(f, 'run', 'p.bpf', '--op', 'SOCKET', '--field', 'socket.family=0x100000000')).err).toContain('does not fit');
    expect((await rf(f, 'run', 'p.bpf', '--op', 'SOCKET', '--field', 'socket.family')).code).toBe(2);
    expect((await rf(f, 'run', 'p.bpf')).err).toContain('--op is required');
  });

  it('does not run a program the kernel would reject', async () => {
    const r = await rf({ 'p.bpf': UNINIT }, 'run', 'p.bpf', '--op', 'SOCKET');
    expect(r.code).toBe(1);
    expect(r.out).toContain("rejected by rule 'uninit-mem'");
  });
});

describe('profiles without cBPF filters', () => {
  it('check on 6.18 is -EINVAL: the register op does not exist there', async () => {
    const r = await rf({ 'p.bpf': 'ret #1\n' }, 'check', 'p.bpf', '--kernel', '6.18', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ret: -22, rule: 'no-bpf-filters' });
  });
});

describe('check --js', () => {
  it('prints the compiled evaluator\'s JavaScript', async () => {
    const r = await rf({ 'p.bpf': DENY_INET }, 'check', 'p.bpf', '--js');
    expect(r.code).toBe(0);
    expect(r.out).toContain('return function filter(c)');
    expect(r.out).toContain('a = c[4];');
  });
});

describe('asm on something that is not assembler', () => {
  it('points at disasm', async () => {
    const r = await rf({ 'p.bin': BIN }, 'asm', 'p.bin');
    expect(r.code).toBe(2);
    expect(r.err).toContain("looks like binary struct sock_filter records, not assembler text; 'ringfence disasm p.bin' reads it");
  });
});
