// toTraceText: a call sequence as a v1 trace (trace-format.md), so that every
// counterexample and finding replays in the simulator and, through the oracle, on
// a real kernel. Observations, when given, become `=> ...` expectations.

import { AF, SOCK } from '../../model/abi/net.ts';
import { OP, opcodeName } from '../../model/abi/opcodes.ts';
import { registerOpName } from '../../model/abi/register.ts';
import { FILTER_FLAGS, SETUP_FLAGS, SQE_FLAGS } from '../../model/abi/flags.ts';
import { errnoName } from '../../model/abi/errno.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { CommandBody, RestrictionEntry, SqeSpec, Target } from '../trace/ast.ts';
import type { Obs, Step } from './observe.ts';

export interface PrintOptions {
  name?: string;
  /** `kernels=` list. */
  kernels?: string[];
  /** Comment lines printed above the trace. */
  header?: string[];
  /** Per step: the observation to write as an expectation. */
  expect?: (Obs | undefined)[];
  /** Per step: a comment after the command. */
  notes?: (string | undefined)[];
  /** Assembler text for named programs; others are written as raw quads. */
  programText?: (name: string) => string[] | undefined;
}

const BUILTIN = new Set(['allow', 'deny']);

function flagNames(v: number, table: Record<string, number>): string {
  if (v === 0) return '0';
  const parts: string[] = [];
  let rest = v;
  for (const [n, b] of Object.entries(table)) if ((v & b) === b && b !== 0 && rest & b) { parts.push(n); rest &= ~b; }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}

const retText = (r: number): string => (r < 0 ? `-${errnoName(-r)}` : String(r));

function target(t: Target): string {
  return t.kind === 'task' ? 'task' : t.ring;
}

function entry(e: RestrictionEntry): string {
  switch (e.type) {
    case 0: return `register_op:${registerOpName(e.value)}`;
    case 1: return `sqe_op:${opcodeName(e.value)}`;
    case 2: return `sqe_flags_allowed:${flagNames(e.value, SQE_FLAGS)}`;
    case 3: return `sqe_flags_required:${flagNames(e.value, SQE_FLAGS)}`;
    default: return `${e.type}:${e.value}`;
  }
}

function sqeFields(s: SqeSpec): string {
  let t = `op=${opcodeName(s.opcode)} ud=${s.ud}`;
  if (s.flags) t += ` flags=${flagNames(s.flags, SQE_FLAGS)}`;
  const named = s.opcode === OP.SOCKET;
  if (named) {
    const af = Object.entries(AF).find(([, v]) => v === s.fd)?.[0] ?? String(s.fd);
    const ty = Object.entries(SOCK).find(([, v]) => BigInt(v) === s.off)?.[0] ?? String(s.off);
    t += ` domain=${af} type=${ty} protocol=${s.len}`;
  } else {
    if (s.fd) t += ` fd=${s.fd}`;
    if (s.off) t += ` off=${s.off}`;
    if (s.len) t += ` len=${s.len}`;
  }
  if (s.addr) t += ` addr=${s.addr}`;
  if (s.opf) t += ` opf=${s.opf}`;
  if (s.ioprio) t += ` ioprio=${s.ioprio}`;
  if (s.buf) t += ` buf=${s.buf}`;
  if (s.pers) t += ` pers=${s.pers}`;
  if (s.fidx) t += ` fidx=${s.fidx}`;
  if (s.addr3) t += ` addr3=${s.addr3}`;
  return t;
}

/** One command's text, without task prefix or expectation. */
export function commandText(b: CommandBody): string {
  switch (b.c) {
    case 'ring': return `ring ${b.ring} entries=${b.entries}${b.flags ? ` flags=${flagNames(b.flags, SETUP_FLAGS)}` : ''}`;
    case 'close': return `close ${b.ring}`;
    case 'restrict': return `restrict ${target(b.target)}${b.entries.map((e) => ' ' + entry(e)).join('')}`;
    case 'enable': return `enable ${b.ring}`;
    case 'register': return `register ${b.ring} ${registerOpName(b.op)}`;
    case 'bpf': {
      let t = `bpf ${target(b.target)} op=${opcodeName(b.op)}`;
      if (b.flags) t += ` flags=${flagNames(b.flags, FILTER_FLAGS)}`;
      if (b.pdu !== null) t += ` pdu=${b.pdu}`;
      return `${t} ${b.program}`;
    }
    case 'sqe': return `sqe ${b.ring} ${sqeFields(b.sqe)}`;
    case 'submit': return `submit ${b.ring}`;
    case 'cqes': return `cqes ${b.ring}`;
    case 'nnp': return 'nnp';
    case 'setuid': return `setuid ${b.uid}`;
    case 'fork': return `fork ${b.child}`;
    case 'exit': return 'exit';
  }
}

/** An observation as a `=> ...` expectation, or '' when the format has none for it. */
export function expectText(o: Obs): string {
  if (o.unstated !== undefined) return '';
  if (o.cqes !== undefined) return o.cqes.length ? o.cqes.map(([u, r]) => `${u}:${typeof r === 'number' ? retText(r) : r}`).join(' ') : 'none';
  if (o.c === 'sqe') return o.queued === undefined ? '' : String(o.queued);
  if (o.ret === undefined) return '';
  let t = retText(o.ret);
  if (o.pdu !== undefined) t += ` pdu=${o.pdu}`;
  if (o.left !== undefined) t += ` left=${o.left}`;
  return t;
}

function quads(insns: readonly Insn[]): string[] {
  return insns.map((i) => `${i.code}:${i.jt}:${i.jf}:${i.k >>> 0}`);
}

export function toTraceText(steps: readonly Step[], opts: PrintOptions = {}): string {
  const lines: string[] = [];
  for (const h of opts.header ?? []) lines.push(h === '' ? '#' : `# ${h}`);
  lines.push(`trace ${opts.name ?? 'counterexample'}${opts.kernels?.length ? ` kernels=${opts.kernels.join(',')}` : ''}`);
  const declared = new Set<string>();
  for (const s of steps) {
    if (s.body.c !== 'bpf' || BUILTIN.has(s.body.program) || declared.has(s.body.program)) continue;
    declared.add(s.body.program);
    lines.push(`  program ${s.body.program}`);
    for (const l of opts.programText?.(s.body.program) ?? quads(s.body.insns)) lines.push(`    ${l}`);
    lines.push('  end');
  }
  steps.forEach((s, i) => {
    let t = (s.task === 'init' ? '' : `@${s.task} `) + commandText(s.body);
    const o = opts.expect?.[i];
    const e = o ? expectText(o) : '';
    if (e) t += ` => ${e}`;
    const n = opts.notes?.[i];
    if (n) t = t.padEnd(56) + ` # ${n}`;
    lines.push(`  ${t}`);
  });
  lines.push('end');
  return lines.join('\n') + '\n';
}
