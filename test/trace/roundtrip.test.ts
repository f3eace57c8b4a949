// Printing and parsing agree: a random trace built as an AST, printed by
// sim/trace/print.ts and parsed again, gives back the same commands. Every
// bundled scenario survives the same round trip.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OP } from '../../model/abi/opcodes.ts';
import { AF, AT_FDCWD } from '../../model/abi/net.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { CommandBody, Expectation, SqeSpec, Trace, TraceCommand } from '../../sim/trace/ast.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { formatTrace } from '../../sim/trace/print.ts';
import { findTraceFiles } from '../../sim/trace/load.ts';
import { buildSockaddr } from '../../sim/trace/sockaddr.ts';
import { OPEN_HOW_PTR, OPEN_HOW_SIZE, PATH_PTR, SOCKADDR_PTR } from '../../sim/trace/pointers.ts';

const F = 'rt.trace';
const LOC = { file: F, line: 0, col: 0 };

/** What must survive a round trip: everything but locations, source text and an inline program's spelling. */
function essence(cs: readonly TraceCommand[]): unknown {
  return cs.map((c) => {
    const { loc: _l, text: _t, expect, ...rest } = c as TraceCommand & Record<string, unknown>;
    const out: Record<string, unknown> = { ...rest };
    if (c.c === 'bpf' && c.program.includes(':')) delete out.program;
    if (c.c === 'sqe' && c.sqe.sockaddr) out.sqe = { ...c.sqe, sockaddr: Array.from(c.sqe.sockaddr) };
    if (expect) { const { loc: _el, text: _et, ...e } = expect; out.expect = e; }
    return out;
  });
}

const u = (bits: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n });
const n = (max: number) => fc.integer({ min: 0, max });
const insn: fc.Arbitrary<Insn> = fc.record({ code: n(0xffff), jt: n(255), jf: n(255), k: fc.integer({ min: 0, max: 0xffffffff }) });
/** Printable strings, blanks, quotes, backslashes, `#` and `=>` included. */
const text = fc.string({ unit: fc.constantFrom(...'abc /._-#=>"\\\t\n0'.split('')), maxLength: 12 });

const base = (opcode: number): SqeSpec => ({ opcode, flags: 0, ud: 0n, ioprio: 0, fd: 0, off: 0n, addr: 0n, len: 0, opf: 0, buf: 0, pers: 0, fidx: 0, addr3: 0n });
const common = fc.record({ flags: n(255), ud: u(64), ioprio: n(0xffff), opf: fc.integer({ min: 0, max: 0xffffffff }), buf: n(0xffff), pers: n(0xffff), fidx: fc.integer({ min: 0, max: 0xffffffff }), addr3: u(64) });

const sqeSpec: fc.Arbitrary<SqeSpec> = fc.oneof(
  // Any opcode without named fields, raw fields only.
  fc.tuple(fc.constantFrom(...[OP.NOP, OP.READ, OP.WRITEV, OP.SOCKET, OP.CLOSE, 64, 65, 200]), common, u(64), u(64), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -0x80000000, max: 0x7fffffff }))
    .map(([op, c, off, addr, len, fd]) => ({ ...base(op), ...c, off, addr, len, fd })),
  // OPENAT: a path (or a raw address), any fd.
  fc.tuple(common, fc.option(text, { nil: undefined }), fc.oneof(fc.constant(AT_FDCWD), n(100)), u(64), fc.integer({ min: 0, max: 0xffffffff }))
    .map(([c, path, fd, addr, len]) => ({ ...base(OP.OPENAT), ...c, fd, len, ...(path === undefined ? { addr } : { path, addr: PATH_PTR }) })),
  // OPENAT2: with open_how, or raw off/len.
  fc.tuple(common, text, fc.option(fc.record({ flags: u(64), mode: u(64), resolve: u(64) }), { nil: undefined }), u(64), fc.integer({ min: 0, max: 0xffffffff }))
    .map(([c, path, how, off, len]) => ({ ...base(OP.OPENAT2), ...c, fd: AT_FDCWD, path, addr: PATH_PTR, ...(how ? { how, off: OPEN_HOW_PTR, len: OPEN_HOW_SIZE } : { off, len }) })),
  // CONNECT/BIND with a sockaddr whose family matches its address.
  fc.tuple(common, fc.constantFrom(OP.CONNECT, OP.BIND), fc.oneof(
    fc.record({ family: fc.constant(AF.AF_INET as number), port: n(0xffff), addr4: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
    fc.record({ family: fc.constant(AF.AF_INET6 as number), port: n(0xffff), addr6: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
    fc.record({ family: fc.constant(AF.AF_UNIX as number), unix: fc.string({ unit: fc.constantFrom(...'ab/._ '.split('')), minLength: 1, maxLength: 20 }) }),
  ), fc.option(n(128), { nil: undefined }), n(100))
    .map(([c, op, sa, addrlen, fd]) => {
      const { bytes, addrlen: len } = buildSockaddr({ ...sa, addrlen });
      return { ...base(op), ...c, fd, sockaddr: bytes, addr: SOCKADDR_PTR, off: BigInt(len) };
    }),
);

type Gen = { body: CommandBody; task: 'init' | 'c'; expect?: Omit<Expectation, 'loc' | 'text'> };

const retExpect = (extra: { pdu?: boolean; left?: boolean } = {}) => fc.option(
  fc.record({ ret: fc.integer({ min: -4095, max: 64 }), pdu: extra.pdu ? fc.option(n(255), { nil: undefined }) : fc.constant(undefined), left: extra.left ? fc.option(n(64), { nil: undefined }) : fc.constant(undefined) })
    .map((e) => {
      const out: { kind: 'ret'; ret: number; pdu?: number; left?: number } = { kind: 'ret', ret: e.ret };
      if (e.pdu !== undefined) out.pdu = e.pdu;
      if (e.left !== undefined) out.left = e.left;
      return out;
    }),
  { nil: undefined },
);

const command = (task: 'init' | 'c'): fc.Arbitrary<Gen> => fc.oneof(
  fc.record({ body: fc.record({ c: fc.constant('ring' as const), ring: fc.constant('r'), entries: fc.integer({ min: 0, max: 0xffffffff }), flags: fc.integer({ min: 0, max: 0xffffffff }) }), task: fc.constant(task), expect: retExpect() }),
  fc.record({ body: fc.record({ c: fc.constantFrom('close' as const, 'enable' as const, 'submit' as const), ring: fc.constant('r') }), task: fc.constant(task), expect: retExpect({ left: true }) })
    .map((g) => (g.body.c !== 'submit' && g.expect ? { ...g, expect: { kind: 'ret' as const, ret: (g.expect as { ret: number }).ret } } : g)),
  fc.record({ body: fc.record({ c: fc.constant('register' as const), ring: fc.constant('r'), op: fc.integer({ min: 0, max: 0xffffffff }) }), task: fc.constant(task) }),
  fc.record({
    body: fc.record({
      c: fc.constant('restrict' as const),
      target: fc.constantFrom({ kind: 'task' as const }, { kind: 'ring' as const, ring: 'r' }),
      entries: fc.array(fc.record({ type: n(3), value: n(255) }), { maxLength: 5 }),
    }),
    task: fc.constant(task),
  }),
  fc.record({
    body: fc.record({
      c: fc.constant('bpf' as const),
      target: fc.constantFrom({ kind: 'task' as const }, { kind: 'ring' as const, ring: 'r' }),
      op: fc.integer({ min: 0, max: 0xffffffff }),
      flags: fc.integer({ min: 0, max: 0xffffffff }),
      pdu: fc.option(n(255), { nil: null }),
      prog: fc.oneof(fc.constantFrom('allow', 'deny', 'p'), fc.array(insn, { minLength: 1, maxLength: 4 })),
      raw: fc.record({
        cmd_type: n(0xffff), cmd_flags: n(0xffff), resv: fc.integer({ min: 0, max: 0xffffffff }), resv2: u(64),
        len: fc.integer({ min: 0, max: 0xffffffff }), nr_args: fc.integer({ min: 0, max: 0xffffffff }), ptrNull: fc.constant(true), filter_resv: n(0xffffff),
      }, { requiredKeys: [] }),
    }).map(({ prog, ...b }) => {
      const insns = typeof prog === 'string' ? (prog === 'allow' ? [{ code: 6, jt: 0, jf: 0, k: 1 }] : prog === 'deny' ? [{ code: 6, jt: 0, jf: 0, k: 0 }] : P_INSNS) : prog;
      return { ...b, program: typeof prog === 'string' ? prog : prog.map((i) => `${i.code}:${i.jt}:${i.jf}:${i.k}`).join(' '), insns };
    }),
    task: fc.constant(task),
    expect: retExpect({ pdu: true }),
  }),
  fc.record({ body: fc.record({ c: fc.constant('sqe' as const), ring: fc.constant('r'), sqe: sqeSpec }), task: fc.constant(task), expect: retExpect() }),
  fc.record({
    body: fc.constant({ c: 'cqes' as const, ring: 'r' }),
    task: fc.constant(task),
    expect: fc.option(fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.array(fc.record({ ud: u(64), res: fc.oneof(fc.integer({ min: -4095, max: 100 }), fc.constant('fd' as const)) }), { minLength: 1, maxLength: 4 }).map((cqes) => ({ kind: 'cqes' as const, cqes })),
    ), { nil: undefined }),
  }),
  fc.record({ body: fc.constantFrom({ c: 'nnp' as const }), task: fc.constant(task), expect: retExpect() }),
  fc.record({ body: fc.record({ c: fc.constant('setuid' as const), uid: fc.integer({ min: 0, max: 0xffffffff }) }), task: fc.constant(task) }),
);

const P_INSNS: Insn[] = [{ code: 0x20, jt: 0, jf: 0, k: 16 }, { code: 0x15, jt: 0, jf: 1, k: 2 }, { code: 6, jt: 0, jf: 0, k: 0 }, { code: 6, jt: 0, jf: 0, k: 1 }];

/** `ring r`, then init's commands, `fork c`, then commands of either task. */
const traceArb = fc.tuple(fc.array(command('init'), { maxLength: 8 }), fc.array(fc.oneof(command('init'), command('c')), { maxLength: 8 }), fc.option(fc.subarray(['6.18', '7.2', '7.3', 'v5'] as const, { minLength: 1 }), { nil: null }))
  .map(([before, after, kernels]): Trace => {
    const gens: Gen[] = [{ body: { c: 'ring', ring: 'r', entries: 8, flags: 0 }, task: 'init' }, ...before, { body: { c: 'fork', child: 'c' }, task: 'init' }, ...after];
    const commands: TraceCommand[] = gens.map((g, i) => {
      const cmd = { ...g.body, i, task: g.task, loc: LOC, text: '' } as TraceCommand;
      if (g.expect) cmd.expect = { ...g.expect, loc: LOC, text: '' } as Expectation;
      return cmd;
    });
    return { name: 't', kernels: kernels ? [...kernels] : null, loc: LOC, programs: new Map([['p', { name: 'p', insns: P_INSNS, loc: LOC }]]), commands };
  });

describe('print then parse', () => {
  it('gives back the same commands for random traces', () => {
    fc.assert(fc.property(traceArb, (t) => {
      const text = formatTrace(t);
      const r = parseTraceFile(F, text);
      if (!r.ok) throw new Error(`${r.error[0].loc?.line}: ${r.error[0].message}\n${text}`);
      const back = r.value.traces[0];
      expect(back.kernels).toEqual(t.kernels);
      expect(back.programs.get('p')?.insns).toEqual(P_INSNS);
      expect(essence(back.commands)).toEqual(essence(t.commands));
    }), { numRuns: 200 });
  });

  it('gives back every bundled scenario', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '../../scenarios');
    for (const f of findTraceFiles(dir, dir)) {
      const r = parseTraceFile(f, readFileSync(join(dir, f), 'utf8'));
      if (!r.ok) continue; // the scenario suite reports these
      for (const t of r.value.traces) {
        const back = parseTraceFile(F, formatTrace(t));
        if (!back.ok) throw new Error(`${f} ${t.name}: ${back.error[0].message}`);
        expect(essence(back.value.traces[0].commands), `${f} ${t.name}`).toEqual(essence(t.commands));
      }
    }
  });
});
