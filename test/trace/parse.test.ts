import { describe, expect, it } from 'vitest';
import { OP } from '../../model/abi/opcodes.ts';
import { REG } from '../../model/abi/register.ts';
import { SETUP_FLAGS, SQE_FLAGS, FILTER_FLAGS, RESTRICTION } from '../../model/abi/flags.ts';
import { AF, SOCK, O, RESOLVE, AT_FDCWD, IPPROTO } from '../../model/abi/net.ts';
import { ERRNO } from '../../model/abi/errno.ts';
import { formatError } from '../../model/errors.ts';
import { parseTraceFile, DEFAULT_ENTRIES } from '../../sim/trace/parse.ts';
import { OPEN_HOW_PTR, OPEN_HOW_SIZE, PATH_PTR, SOCKADDR_PTR } from '../../sim/trace/pointers.ts';
import { bodyErrors, commands, errorsOf, F, parseOk } from './helpers.ts';

describe('structure', () => {
  it('reads traces, kernels= lists, comments and blank lines', () => {
    const ts = parseOk(`# a comment
trace one kernels=7.2,7.3   # trailing comment

  nnp
end
trace two
end
`);
    expect(ts.map((t) => t.name)).toEqual(['one', 'two']);
    expect(ts[0].kernels).toEqual(['7.2', '7.3']);
    expect(ts[1].kernels).toBeNull();
    expect(ts[0].loc).toEqual({ file: F, line: 2, col: 7, len: 3 });
    expect(ts[0].commands).toHaveLength(1);
    expect(ts[0].commands[0]).toMatchObject({ c: 'nnp', i: 0, task: 'init', text: 'nnp', loc: { line: 4, col: 3 } });
  });

  it('numbers commands from 0 within each trace', () => {
    const ts = parseOk('trace a\n nnp\n nnp\nend\ntrace b\n nnp\nend\n');
    expect(ts[0].commands.map((c) => c.i)).toEqual([0, 1]);
    expect(ts[1].commands.map((c) => c.i)).toEqual([0]);
  });

  it('accepts CRLF line ends', () => {
    expect(parseOk('trace a\r\n nnp => 0\r\nend\r\n')[0].commands[0].expect).toMatchObject({ kind: 'ret', ret: 0 });
  });
});

describe('commands', () => {
  it('ring: entries default and setup flag sets', () => {
    const [a, b] = commands(' ring r0\n ring r1 entries=0x10 flags=R_DISABLED|SUBMIT_ALL|IORING_SETUP_SINGLE_ISSUER');
    expect(a).toMatchObject({ c: 'ring', ring: 'r0', entries: DEFAULT_ENTRIES, flags: 0 });
    expect(b).toMatchObject({ c: 'ring', ring: 'r1', entries: 16, flags: SETUP_FLAGS.R_DISABLED | SETUP_FLAGS.SUBMIT_ALL | SETUP_FLAGS.SINGLE_ISSUER });
  });

  it('close, enable, submit, cqes name a ring', () => {
    const cs = commands(' ring r\n close r\n enable r\n submit r\n cqes r');
    expect(cs.slice(1).map((c) => [c.c, 'ring' in c ? c.ring : null])).toEqual([['close', 'r'], ['enable', 'r'], ['submit', 'r'], ['cqes', 'r']]);
  });

  it('restrict: ring or task, every entry kind, and the empty set', () => {
    const cs = commands(' ring r\n restrict r register_op:ENABLE_RINGS sqe_op:NOP sqe_flags_allowed:IO_LINK|ASYNC sqe_flags_required:0x1\n restrict task\n restrict task sqe_op:18');
    expect(cs[1]).toMatchObject({
      c: 'restrict', target: { kind: 'ring', ring: 'r' }, entries: [
        { type: RESTRICTION.REGISTER_OP, value: REG.ENABLE_RINGS },
        { type: RESTRICTION.SQE_OP, value: OP.NOP },
        { type: RESTRICTION.SQE_FLAGS_ALLOWED, value: SQE_FLAGS.IO_LINK | SQE_FLAGS.ASYNC },
        { type: RESTRICTION.SQE_FLAGS_REQUIRED, value: 1 },
      ],
    });
    expect(cs[2]).toMatchObject({ c: 'restrict', target: { kind: 'task' }, entries: [] });
    expect(cs[3]).toMatchObject({ entries: [{ type: RESTRICTION.SQE_OP, value: OP.OPENAT }] });
  });

  it('register: a register op by name or number', () => {
    const cs = commands(' ring r\n register r PROBE\n register r IORING_REGISTER_BUFFERS\n register r 99');
    expect(cs.slice(1).map((c) => (c.c === 'register' ? c.op : -1))).toEqual([REG.PROBE, REG.BUFFERS, 99]);
  });

  it('bpf: built-in programs, declared programs, inline quads, defaults', () => {
    const cs = commands(` ring r
 program p
   ld [16]
   jeq #AF_INET, drop, keep
 keep: ret #1
 drop: ret #0
 end
 bpf r op=SOCKET p
 bpf task op=NOP allow
 bpf task op=NOP flags=DENY_REST|SZ_STRICT pdu=0 deny
 bpf r op=NOP 0x06:0:0:1 6:0:0:0`);
    const [p, a, d, q] = cs.slice(1);
    expect(p).toMatchObject({ c: 'bpf', target: { kind: 'ring', ring: 'r' }, op: OP.SOCKET, flags: 0, pdu: null, program: 'p', raw: {} });
    if (p.c !== 'bpf') throw new Error();
    expect(p.insns).toHaveLength(4);
    expect(p.insns[0]).toEqual({ code: 0x20, jt: 0, jf: 0, k: 16 });
    expect(p.insns[1]).toMatchObject({ code: 0x15, k: AF.AF_INET });
    expect(a).toMatchObject({ target: { kind: 'task' }, op: OP.NOP, program: 'allow', insns: [{ code: 6, jt: 0, jf: 0, k: 1 }] });
    expect(d).toMatchObject({ flags: FILTER_FLAGS.DENY_REST | FILTER_FLAGS.SZ_STRICT, pdu: 0, insns: [{ code: 6, k: 0 }] });
    expect(q).toMatchObject({ program: '0x06:0:0:1 6:0:0:0', insns: [{ code: 6, jt: 0, jf: 0, k: 1 }, { code: 6, jt: 0, jf: 0, k: 0 }] });
  });

  it('bpf: raw overrides for malformed registrations', () => {
    const [, c] = commands(' ring r\n bpf r op=65 cmd_type=0 cmd_flags=1 resv=2 resv2=-1 len=4097 nr_args=2 ptr=null filter_resv=0x10203 allow');
    expect(c).toMatchObject({
      op: 65,
      raw: { cmd_type: 0, cmd_flags: 1, resv: 2, resv2: (1n << 64n) - 1n, len: 4097, nr_args: 2, ptrNull: true, filter_resv: 0x10203 },
    });
  });

  it('sqe: raw fields, flags, and ud defaulting to the index among sqe commands', () => {
    const cs = commands(` ring r
 sqe r op=NOP
 nnp
 sqe r op=NOP ud=0xffffffffffffffff flags=IO_LINK|CQE_SKIP_SUCCESS
 sqe r op=READ fd=3 off=-1 addr=0x1000 len=8 opf=1 ioprio=2 buf=3 pers=4 fidx=5 addr3=6
 sqe r op=NOP`);
    const sqes = cs.filter((c) => c.c === 'sqe').map((c) => (c.c === 'sqe' ? c.sqe : null)!);
    expect(sqes.map((s) => s.ud)).toEqual([0n, 0xffffffffffffffffn, 2n, 3n]);
    expect(sqes[1].flags).toBe(SQE_FLAGS.IO_LINK | SQE_FLAGS.CQE_SKIP_SUCCESS);
    expect(sqes[2]).toEqual({
      opcode: OP.READ, flags: 0, ud: 2n, ioprio: 2, fd: 3, off: (1n << 64n) - 1n, addr: 0x1000n, len: 8, opf: 1, buf: 3, pers: 4, fidx: 5, addr3: 6n,
    });
  });

  it('sqe: SOCKET named fields lower to fd, off and len', () => {
    const [, c] = commands(' ring r\n sqe r op=SOCKET domain=AF_INET6 type=SOCK_DGRAM|SOCK_CLOEXEC protocol=IPPROTO_UDP');
    expect(c).toMatchObject({ sqe: { opcode: OP.SOCKET, fd: AF.AF_INET6, off: BigInt(SOCK.SOCK_DGRAM | SOCK.SOCK_CLOEXEC), len: IPPROTO.IPPROTO_UDP } });
  });

  it('sqe: OPENAT named fields, AT_FDCWD default, quoted paths', () => {
    const [, a, b] = commands(' ring r\n sqe r op=OPENAT path="/tmp/a b#c" oflags=O_CREAT|O_WRONLY mode=0o644\n sqe r op=OPENAT dfd=5 path=/dev/null');
    expect(a).toMatchObject({ sqe: { fd: AT_FDCWD, addr: PATH_PTR, path: '/tmp/a b#c', opf: O.O_CREAT | O.O_WRONLY, len: 0o644 } });
    expect(b).toMatchObject({ sqe: { fd: 5, addr: PATH_PTR, path: '/dev/null', opf: 0, len: 0 } });
  });

  it('sqe: OPENAT2 builds open_how at addr2 with len 24', () => {
    const [, a, b] = commands(' ring r\n sqe r op=OPENAT2 path=/init oflags=O_RDONLY|O_CLOEXEC mode=0 resolve=RESOLVE_IN_ROOT|RESOLVE_NO_XDEV\n sqe r op=OPENAT2 path=/x off=0 len=0');
    expect(a).toMatchObject({
      sqe: { fd: AT_FDCWD, path: '/init', addr: PATH_PTR, off: OPEN_HOW_PTR, len: OPEN_HOW_SIZE, how: { flags: BigInt(O.O_CLOEXEC), mode: 0n, resolve: BigInt(RESOLVE.RESOLVE_IN_ROOT | RESOLVE.RESOLVE_NO_XDEV) } },
    });
    if (b.c !== 'sqe') throw new Error();
    expect(b.sqe.how).toBeUndefined();
    expect(b.sqe.off).toBe(0n);
  });

  it('sqe: CONNECT sockaddr extension (inet, inet6, unix, addrlen override)', () => {
    const cs = commands(` ring r
 sqe r op=CONNECT fd=3 addr4=127.0.0.1 port=80
 sqe r op=CONNECT fd=3 addr6=::1 port=443
 sqe r op=BIND fd=3 unix=/tmp/s
 sqe r op=CONNECT fd=3 family=AF_UNSPEC addrlen=8`);
    const s = cs.slice(1).map((c) => (c.c === 'sqe' ? c.sqe : null)!);
    expect(Array.from(s[0].sockaddr!)).toEqual([AF.AF_INET, 0, 0, 80, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(s[0]).toMatchObject({ addr: SOCKADDR_PTR, off: 16n, len: 0 });
    expect(s[1].sockaddr!.length).toBe(28);
    expect(Array.from(s[1].sockaddr!.subarray(0, 4))).toEqual([AF.AF_INET6, 0, 0x01, 0xbb]);
    expect(Array.from(s[1].sockaddr!.subarray(8, 24))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(s[1].off).toBe(28n);
    expect(s[2]).toMatchObject({ opcode: OP.BIND, off: BigInt(2 + 6 + 1) });
    expect(new TextDecoder().decode(s[2].sockaddr!.subarray(2, 8))).toBe('/tmp/s');
    expect(s[3].off).toBe(8n);
    expect(s[3].sockaddr![0]).toBe(AF.AF_UNSPEC);
  });

  it('nnp, setuid, fork, exit and @TASK', () => {
    const cs = commands(' nnp\n setuid 65534\n fork c\n @c nnp\n @c exit\n exit');
    expect(cs.map((c) => [c.c, c.task])).toEqual([['nnp', 'init'], ['setuid', 'init'], ['fork', 'init'], ['nnp', 'c'], ['exit', 'c'], ['exit', 'init']]);
    expect(cs[1]).toMatchObject({ uid: 65534 });
    expect(cs[2]).toMatchObject({ child: 'c' });
  });

  it('a forked child starts with its parent\'s ring names', () => {
    const cs = commands(' ring r\n fork c\n @c sqe r op=NOP\n @c ring s\n @c submit s');
    expect(cs.map((c) => c.c)).toEqual(['ring', 'fork', 'sqe', 'ring', 'submit']);
  });
});

describe('expectations', () => {
  const ex = (line: string) => commands(` ring r\n${line}`)[1].expect;
  it('return values: numbers, errno names bare and negative', () => {
    expect(ex(' enable r => 0')).toMatchObject({ kind: 'ret', ret: 0, text: '0' });
    expect(ex(' enable r => -EACCES')).toMatchObject({ ret: -ERRNO.EACCES });
    expect(ex(' enable r => EBUSY')).toMatchObject({ ret: -ERRNO.EBUSY });
    expect(ex(' enable r => -22')).toMatchObject({ ret: -22 });
  });
  it('pdu= on bpf, left= on submit, queued on sqe', () => {
    expect(ex(' bpf r op=SOCKET allow => -EMSGSIZE pdu=12')).toMatchObject({ ret: -ERRNO.EMSGSIZE, pdu: 12 });
    expect(ex(' submit r => 2 left=1')).toMatchObject({ ret: 2, left: 1 });
    expect(ex(' sqe r op=NOP => 1')).toMatchObject({ kind: 'ret', ret: 1 });
  });
  it('CQE lists with fd, and none', () => {
    expect(ex(' cqes r => 1:0 2:-EACCES 3:ECANCELED 0x10:fd')).toMatchObject({
      kind: 'cqes', cqes: [{ ud: 1n, res: 0 }, { ud: 2n, res: -13 }, { ud: 3n, res: -125 }, { ud: 16n, res: 'fd' }],
    });
    expect(ex(' cqes r => none')).toMatchObject({ kind: 'none' });
  });
  it('an arrow glued to the command still starts the expectation', () => {
    expect(ex(' enable r=> 0')).toMatchObject({ kind: 'ret', ret: 0 });
    expect(ex(' sqe r op=NOP=>1')).toMatchObject({ kind: 'ret', ret: 1 });
  });
  it('locates the expectation', () => {
    expect(ex(' submit r => 2 left=1')!.loc).toEqual({ file: F, line: 3, col: 14, len: 8 });
  });
});

describe('errors: every one located, with what was expected', () => {
  const cases: [string, string, { line: number; col: number; len?: number; message: RegExp }][] = [
    ['unknown command', ' frob', { line: 2, col: 2, len: 4, message: /unknown command `frob`/ }],
    ['unknown option', ' ring r size=4', { line: 2, col: 9, len: 5, message: /unknown option `size=` for ring/ }],
    ['option twice', ' ring r flags=0 flags=1', { line: 2, col: 17, message: /`flags=` given twice/ }],
    ['bad number', ' ring r entries=12x', { line: 2, col: 17, len: 3, message: /`12x` is not a number or a name/ }],
    ['ambiguous octal', ' ring r\n sqe r op=OPENAT mode=0644', { line: 3, col: 23, len: 4, message: /leading zero/ }],
    ['unknown setup flag', ' ring r flags=R_DISABLED|BOGUS', { line: 2, col: 26, len: 5, message: /unknown name `BOGUS`/ }],
    ['empty flag', ' ring r flags=R_DISABLED|', { line: 2, col: 26, message: /empty flag/ }],
    ['out of range', ' ring r\n sqe r op=NOP flags=256', { line: 3, col: 21, len: 3, message: /out of range/ }],
    ['unknown opcode', ' ring r\n sqe r op=FROB', { line: 3, col: 11, len: 4, message: /unknown name `FROB`/ }],
    ['missing op', ' ring r\n sqe r', { line: 3, col: 8, message: /missing op=/ }],
    ['missing ring', ' submit', { line: 2, col: 9, message: /missing ring name/ }],
    ['bad ring name', ' ring 9r', { line: 2, col: 7, len: 2, message: /not a valid ring name/ }],
    ['ring named task', ' ring task', { line: 2, col: 7, len: 4, message: /`task` names the calling task/ }],
    ['extra operand', ' nnp now', { line: 2, col: 6, len: 3, message: /unexpected `now`/ }],
    ['ring never made', ' submit r', { line: 2, col: 9, len: 1, message: /task init has no ring r/ }],
    ['ring of another task', ' fork c\n @c ring s\n submit s', { line: 4, col: 9, message: /task init has no ring s \(c has one\)/ }],
    ['unknown task', ' @ghost nnp', { line: 2, col: 3, len: 5, message: /unknown task ghost/ }],
    ['task before its fork', ' @c nnp\n fork c', { line: 2, col: 3, len: 1, message: /task c is used before it is forked \(line 3\)/ }],
    ['task after exit', ' fork c\n @c exit\n @c nnp', { line: 4, col: 2, len: 2, message: /task c has exited \(line 3\)/ }],
    ['fork of an existing task', ' fork init', { line: 2, col: 7, len: 4, message: /task init already exists/ }],
    ['unknown program', ' ring r\n bpf r op=NOP nope', { line: 3, col: 15, len: 4, message: /unknown program nope/ }],
    ['program before declaration', ' ring r\n bpf r op=NOP p\n program p\n ret #1\n end', { line: 3, col: 15, message: /program p is used before its declaration \(line 4\)/ }],
    ['program redeclared', ' program p\n ret #1\n end\n program p\n ret #0\n end', { line: 5, col: 10, message: /already declared on line 2/ }],
    ['built-in redeclared', ' program allow\n ret #0\n end', { line: 2, col: 10, message: /program allow is built in/ }],
    ['assembler error', ' program p\n   jmp nowhere\n end', { line: 3, col: 8, len: 7, message: /no label 'nowhere'/ }],
    ['empty program', ' program p\n end', { line: 2, col: 1, message: /empty program/ }],
    ['missing program', ' ring r\n bpf r op=NOP', { line: 3, col: 15, message: /missing program/ }],
    ['bad quad', ' ring r\n bpf r op=NOP 6:0:0:1 6:0:999:0', { line: 3, col: 27, len: 3, message: /out of range/ }],
    ['bpf without op', ' bpf task allow', { line: 2, col: 17, message: /missing op=/ }],
    ['ptr other than null', ' bpf task op=NOP ptr=5 allow', { line: 2, col: 22, message: /ptr=5 is not supported/ }],
    ['restriction kind', ' restrict task sqe_ops:NOP', { line: 2, col: 16, len: 7, message: /unknown restriction kind `sqe_ops`/ }],
    ['restriction entry', ' restrict task NOP', { line: 2, col: 16, len: 3, message: /not a restriction entry/ }],
    ['named field of another opcode', ' ring r\n sqe r op=NOP path=/x', { line: 3, col: 15, len: 5, message: /`path=` is a field of OPENAT and OPENAT2/ }],
    ['named and raw together', ' ring r\n sqe r op=SOCKET domain=AF_INET fd=2', { line: 3, col: 33, message: /`domain=` and `fd=` both set the SQE's fd/ }],
    ['bad IPv4', ' ring r\n sqe r op=CONNECT addr4=1.2.3', { line: 3, col: 25, len: 5, message: /not an IPv4 address/ }],
    ['bad IPv6', ' ring r\n sqe r op=CONNECT addr6=1:::2', { line: 3, col: 25, message: /not an IPv6 address/ }],
    ['two addresses', ' ring r\n sqe r op=CONNECT addr4=1.2.3.4 unix=/s', { line: 3, col: 33, message: /more than one address/ }],
    ['unterminated string', ' ring r\n sqe r op=OPENAT path="/tmp', { line: 3, col: 23, message: /unterminated quoted string/ }],
    ['bad escape', ' ring r\n sqe r op=OPENAT path="\\q"', { line: 3, col: 24, len: 2, message: /unknown escape/ }],
    ['empty expectation', ' nnp =>', { line: 2, col: 6, len: 2, message: /empty expectation/ }],
    ['CQEs on a non-cqes command', ' nnp => 1:0', { line: 2, col: 9, message: /describes CQEs; nnp has none/ }],
    ['none on a non-cqes command', ' nnp => none', { line: 2, col: 9, message: /describes CQEs/ }],
    ['pdu= on a non-bpf command', ' nnp => 0 pdu=12', { line: 2, col: 11, message: /unknown option `pdu=` for the expectation of nnp/ }],
    ['bad CQE', ' ring r\n cqes r => 1:0 x', { line: 3, col: 16, len: 1, message: /`x` is not a CQE/ }],
    ['unknown errno', ' nnp => -EWHAT', { line: 2, col: 9, len: 6, message: /unknown name `EWHAT`/ }],
    ['two arrows', ' nnp => 0 => 0', { line: 2, col: 11, len: 2, message: /a second `=>`/ }],
    ['@ without command', ' @init', { line: 2, col: 8, message: /missing command/ }],
    ['bad task name', ' @9x nnp', { line: 2, col: 2, len: 3, message: /`@9x` is not a valid task/ }],
  ];
  for (const [name, body, want] of cases) {
    it(name, () => {
      const es = bodyErrors(body);
      expect(es.length, JSON.stringify(es)).toBeGreaterThan(0);
      const e = es[0];
      expect(e.message).toMatch(want.message);
      expect(e.expected, 'every error says what was expected').toBeTruthy();
      expect({ line: e.line, col: e.col }).toEqual({ line: want.line, col: want.col });
      if (want.len !== undefined) expect(e.len).toBe(want.len);
    });
  }

  it('file-level errors: outside a trace, unknown kernels, duplicate and unclosed traces', () => {
    const es = errorsOf('nnp\ntrace a kernels=7.9,7.3,\nend\ntrace a\n nnp\n');
    expect(es.map((e) => [e.line, e.col, e.message])).toEqual([
      [1, 1, '`nnp` outside a trace'],
      [2, 17, 'unknown kernel profile `7.9`'],
      [2, 25, 'empty kernel name'],
      [4, 7, 'trace a is already defined on line 2'],
      [4, 7, 'trace a is not closed'],
    ]);
  });

  it('nothing after end', () => {
    expect(errorsOf('trace t\nend now\n').map((e) => [e.line, e.col, e.message])).toEqual([[2, 5, 'unexpected `now` after end']]);
  });

  it('unclosed program', () => {
    expect(errorsOf('trace t\n program p\n ret #1\n').map((e) => e.message)).toContain('program p is not closed');
  });

  it('reports every error of a file, in line order, and returns no traces', () => {
    const r = parseTraceFile(F, 'trace t\n frob\n ring r flags=X\n @x nnp\nend\n');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((e) => e.loc!.line)).toEqual([2, 3, 4]);
  });

  it('formats with file:line:col and a caret under the token', () => {
    const src = 'trace t\n ring r flags=BOGUS\nend\n';
    const r = parseTraceFile(F, src);
    if (r.ok) throw new Error('expected an error');
    expect(formatError(r.error[0], src)).toBe(
      `${F}:2:15: error: unknown name \`BOGUS\` (expected a u32 (0 to 4294967295) or a setup flag (R_DISABLED, SUBMIT_ALL, ...))\n` +
      '   2 |  ring r flags=BOGUS\n' +
      '                     ^^^^^',
    );
  });
});
