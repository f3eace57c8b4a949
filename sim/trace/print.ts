// Printing a parsed trace back as v1 text: numbers in hex or decimal, programs as
// quads, SQE data (path, open_how, sockaddr) as named fields. Parsing the text
// gives back the same commands, so tools that edit traces (shrinkers, generators)
// can work on the AST and print the result.

import { AF, AT_FDCWD } from '../../model/abi/net.ts';
import { OP } from '../../model/abi/opcodes.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { Expectation, SqeSpec, Target, Trace, TraceCommand } from './ast.ts';
import { BUILTIN_PROGRAMS } from './program.ts';

const hex = (v: number | bigint) => (v === 0 || v === 0n ? '0' : '0x' + v.toString(16));

/** A quoted string the lexer reads back unchanged (only the escapes it knows). */
export function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\0/g, '\\0') + '"';
}

export const formatQuadText = (i: Insn) => `${hex(i.code)}:${i.jt}:${i.jf}:${hex(i.k)}`;

const target = (t: Target) => (t.kind === 'task' ? 'task' : t.ring);

const RESTRICTION_KIND = ['register_op', 'sqe_op', 'sqe_flags_allowed', 'sqe_flags_required'];

function expectText(c: TraceCommand['c'], e: Expectation): string {
  if (e.kind === 'none') return 'none';
  if (e.kind === 'cqes') return e.cqes.map((q) => `${q.ud}:${q.res}`).join(' ');
  let s = String(e.ret);
  if (e.pdu !== undefined) s += ` pdu=${e.pdu}`;
  if (e.left !== undefined) s += ` left=${e.left}`;
  void c;
  return s;
}

/** The sockaddr named fields that rebuild these bytes (as buildSockaddr makes them). */
function sockaddrFields(b: Uint8Array, addrlen: bigint): string[] {
  const family = b[0] | (b[1] << 8);
  const out = [`family=${family}`];
  if (family === AF.AF_UNIX) {
    let end = 2;
    while (end < b.length && b[end] !== 0) end++;
    out.push(`unix=${quote(new TextDecoder().decode(b.subarray(2, end)))}`);
  } else {
    out.push(`port=${(b[2] << 8) | b[3]}`);
    if (family === AF.AF_INET6) {
      const g: string[] = [];
      for (let i = 0; i < 8; i++) g.push(((b[8 + 2 * i] << 8) | b[9 + 2 * i]).toString(16));
      out.push(`addr6=${g.join(':')}`);
    } else {
      out.push(`addr4=${Array.from(b.subarray(4, 8)).join('.')}`);
    }
  }
  out.push(`addrlen=${BigInt.asIntN(32, addrlen)}`);
  return out;
}

/** The `sqe` options that parse back to this SqeSpec (ud always explicit). */
export function sqeFields(s: SqeSpec): string[] {
  const f: string[] = [`op=${s.opcode}`, `ud=${hex(s.ud)}`];
  if (s.flags) f.push(`flags=${hex(s.flags)}`);
  const open = s.opcode === OP.OPENAT || s.opcode === OP.OPENAT2;
  const sock = (s.opcode === OP.CONNECT || s.opcode === OP.BIND) && s.sockaddr !== undefined;
  // OPENAT and OPENAT2 default to AT_FDCWD, so their fd is always written.
  if (open) f.push(s.fd === AT_FDCWD ? 'fd=AT_FDCWD' : `fd=${s.fd}`);
  else if (s.fd !== 0) f.push(`fd=${s.fd}`);
  if (s.path !== undefined) f.push(`path=${quote(s.path)}`);
  else if (s.addr !== 0n && !sock) f.push(`addr=${hex(s.addr)}`);
  if (s.opcode === OP.OPENAT2 && s.how) {
    f.push(`oflags=${hex(s.how.flags)}`, `mode=${hex(s.how.mode)}`, `resolve=${hex(s.how.resolve)}`);
  } else if (sock) {
    f.push(...sockaddrFields(s.sockaddr!, s.off));
    if (s.len !== 0) f.push(`len=${hex(s.len)}`);
  } else {
    // An OPENAT2 without open_how is written with raw off= and len= (else one is built).
    if (s.off !== 0n || s.opcode === OP.OPENAT2) f.push(`off=${hex(s.off)}`);
    if (s.len !== 0 || s.opcode === OP.OPENAT2) f.push(`len=${hex(s.len)}`);
  }
  if (s.opf) f.push(`opf=${hex(s.opf)}`);
  if (s.ioprio) f.push(`ioprio=${s.ioprio}`);
  if (s.buf) f.push(`buf=${s.buf}`);
  if (s.pers) f.push(`pers=${s.pers}`);
  if (s.fidx) f.push(`fidx=${hex(s.fidx)}`);
  if (s.addr3) f.push(`addr3=${hex(s.addr3)}`);
  return f;
}

/** One command line (without indentation). */
export function formatCommand(c: TraceCommand, programs: ReadonlyMap<string, unknown> = new Map()): string {
  let s: string;
  switch (c.c) {
    case 'ring': s = `ring ${c.ring} entries=${c.entries} flags=${hex(c.flags)}`; break;
    case 'close': case 'enable': case 'submit': case 'cqes': s = `${c.c} ${c.ring}`; break;
    case 'register': s = `register ${c.ring} ${c.op}`; break;
    case 'restrict': s = ['restrict', target(c.target), ...c.entries.map((e) => `${RESTRICTION_KIND[e.type] ?? e.type}:${e.value}`)].join(' '); break;
    case 'bpf': {
      const parts = ['bpf', target(c.target), `op=${c.op}`];
      if (c.flags) parts.push(`flags=${hex(c.flags)}`);
      if (c.pdu !== null) parts.push(`pdu=${c.pdu}`);
      const r = c.raw;
      if (r.cmd_type !== undefined) parts.push(`cmd_type=${r.cmd_type}`);
      if (r.cmd_flags !== undefined) parts.push(`cmd_flags=${r.cmd_flags}`);
      if (r.resv !== undefined) parts.push(`resv=${hex(r.resv)}`);
      if (r.resv2 !== undefined) parts.push(`resv2=${hex(r.resv2)}`);
      if (r.len !== undefined) parts.push(`len=${r.len}`);
      if (r.nr_args !== undefined) parts.push(`nr_args=${r.nr_args}`);
      if (r.ptrNull) parts.push('ptr=null');
      if (r.filter_resv !== undefined) parts.push(`filter_resv=${hex(r.filter_resv)}`);
      const named = BUILTIN_PROGRAMS.has(c.program) || programs.has(c.program);
      parts.push(named ? c.program : c.insns.map(formatQuadText).join(' '));
      s = parts.join(' ');
      break;
    }
    case 'sqe': s = ['sqe', c.ring, ...sqeFields(c.sqe)].join(' '); break;
    case 'nnp': case 'exit': s = c.c; break;
    case 'setuid': s = `setuid ${c.uid}`; break;
    case 'fork': s = `fork ${c.child}`; break;
  }
  if (c.task !== 'init') s = `@${c.task} ${s}`;
  if (c.expect) s += ` => ${expectText(c.c, c.expect)}`;
  return s;
}

/** A whole trace as v1 text; programs are printed as quads, before the commands. */
export function formatTrace(t: Trace): string {
  const out = [`trace ${t.name}${t.kernels ? ` kernels=${t.kernels.join(',')}` : ''}`];
  for (const p of t.programs.values()) {
    out.push(`  program ${p.name}`);
    for (const i of p.insns) out.push(`    ${formatQuadText(i)}`);
    out.push('  end');
  }
  for (const c of t.commands) out.push('  ' + formatCommand(c, t.programs));
  out.push('end');
  return out.join('\n') + '\n';
}
