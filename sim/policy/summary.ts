// What a reviewer reads: per opcode allowed, denied or conditional (as the proof read
// the emitted registrations back), and what the holder can still reach.

import { opcodeName } from '../../model/abi/opcodes.ts';
import { registerOpName } from '../../model/abi/register.ts';
import type { Compiled } from '../../model/policy/compile.ts';
import type { ProofResult, Verdict } from '../../model/policy/prove.ts';
import { condText } from '../../model/policy/print.ts';

/** Opcodes that reach something outside the process, by what they reach. */
const REACH: [string, string[]][] = [
  ['open files by path', ['OPENAT', 'OPENAT2']],
  ['change the file system by path', ['RENAMEAT', 'UNLINKAT', 'MKDIRAT', 'SYMLINKAT', 'LINKAT', 'SETXATTR', 'GETXATTR', 'STATX']],
  ['make sockets', ['SOCKET']],
  ['reach the network', ['CONNECT', 'BIND', 'LISTEN', 'ACCEPT']],
  ['I/O on descriptors it already holds', ['READ', 'WRITE', 'READV', 'WRITEV', 'READ_FIXED', 'WRITE_FIXED', 'SEND', 'RECV', 'SENDMSG', 'RECVMSG', 'SEND_ZC', 'SENDMSG_ZC', 'SPLICE', 'TEE', 'FSYNC', 'FALLOCATE', 'FTRUNCATE']],
  ['drive devices and other rings', ['URING_CMD', 'URING_CMD128', 'MSG_RING', 'FIXED_FD_INSTALL']],
];

export interface Summary {
  policy: string;
  holder: string;
  kernels: string[];
  opcodes: { opcode: string; verdict: Verdict; condition?: string; kernels?: Record<string, Verdict> }[];
  reach: { what: string; allowed: string[]; conditional: string[] }[];
  filters: { opcode: string; name: string; instructions: number; flags: string[] }[];
  legacy: { sqeOps?: string[]; sqeFlags?: { allowed: number; required: number }; registerOps?: string[] } | null;
  notes: string[];
  proof: { ok: boolean; contexts: number };
  /** compile --onto: verdicts are of the holder's final registrations (what it had AND the policy). */
  onto?: boolean;
}

export interface SummaryOptions {
  /** compile --onto: whether the holder's existing registrations also decide an opcode. */
  existingDecides?: (op: number) => boolean;
}

export function summarize(c: Compiled, proof: ProofResult, opts: SummaryOptions = {}): Summary {
  const p = c.policy;
  const names = Object.keys(proof.verdicts);
  const first = proof.verdicts[names[0]];
  const opcodes = first.map((v, op) => {
    const per = Object.fromEntries(names.map((k) => [k, proof.verdicts[k][op]]));
    const same = names.every((k) => per[k] === v);
    const rule = p.rules.find((r) => r.opcode === op);
    const o: Summary['opcodes'][number] = { opcode: opcodeName(op), verdict: v };
    const held = opts.existingDecides?.(op) ?? false;
    if (v === 'conditional' && rule?.cond) o.condition = `${rule.action === 'deny' ? 'not ' : ''}(${condText(op, rule.cond)})${held ? ' and the holder\'s existing filters allow it' : ''}`;
    else if (v === 'conditional' && held) o.condition = 'the holder\'s existing filters allow it';
    if (!same) o.kernels = per;
    return o;
  });
  const by = new Map(opcodes.map((o) => [o.opcode, o]));
  const reach = REACH.map(([what, ops]) => ({
    what,
    allowed: ops.filter((n) => by.get(n)?.verdict === 'allow'),
    conditional: ops.filter((n) => by.get(n)?.verdict === 'conditional'),
  }));
  return {
    policy: p.name, holder: p.holder, kernels: names,
    opcodes, reach,
    filters: c.filters.map((f) => ({ opcode: opcodeName(f.opcode), name: f.name, instructions: f.insns.length, flags: f.flags & 1 ? ['DENY_REST'] : [] })),
    legacy: c.legacy ? { sqeOps: p.sqeOps?.map(opcodeName), sqeFlags: p.sqeFlags, registerOps: p.registerOps?.map(registerOpName) } : null,
    notes: c.notes,
    proof: { ok: proof.ok, contexts: proof.nodes },
    ...(opts.existingDecides ? { onto: true } : {}),
  };
}

export function summaryText(s: Summary): string {
  const out: string[] = [`policy ${s.policy}: holder ${s.holder}, kernels ${s.kernels.join(', ')}`];
  const list = (v: Verdict) => s.opcodes.filter((o) => o.verdict === v);
  const allowed = list('allow'), cond = list('conditional'), denied = list('deny');
  out.push(`\nallowed (${allowed.length}): ${allowed.map((o) => o.opcode).join(' ') || '-'}`);
  out.push(`conditional (${cond.length}):`);
  for (const o of cond) out.push(`  ${o.opcode}: allowed iff ${o.condition ?? '(see the filters)'}`);
  out.push(`denied (${denied.length}): ${denied.length > 20 ? `${denied.length - 0} opcodes, all but the above` : denied.map((o) => o.opcode).join(' ')}`);
  const diff = s.opcodes.filter((o) => o.kernels);
  for (const o of diff) out.push(`  note: ${o.opcode} differs by kernel: ${Object.entries(o.kernels!).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  out.push('\nwhat the holder can still do:');
  for (const r of s.reach) {
    const parts = [r.allowed.length ? `always ${r.allowed.join(' ')}` : '', r.conditional.length ? `on conditions ${r.conditional.join(' ')}` : ''].filter(Boolean);
    out.push(`  ${r.what}: ${parts.join('; ') || 'no'}`);
  }
  out.push(s.onto ? '\nregistrations added to the holder:' : '\nregistrations:');
  if (s.legacy) out.push(`  legacy restrictions${s.legacy.sqeOps ? `: sqe ops ${s.legacy.sqeOps.join(' ')}` : ''}${s.legacy.sqeFlags ? `; sqe flags allowed=0x${s.legacy.sqeFlags.allowed.toString(16)} required=0x${s.legacy.sqeFlags.required.toString(16)}` : ''}${s.legacy.registerOps ? `; register ops ${s.legacy.registerOps.join(' ')}` : ''}`);
  for (const f of s.filters) out.push(`  ${f.opcode}: ${f.name}, ${f.instructions} instruction${f.instructions === 1 ? '' : 's'}${f.flags.length ? ` (${f.flags.join(', ')})` : ''}`);
  if (!s.filters.length && !s.legacy) out.push(s.onto ? '  none: the holder already forbids everything the policy forbids' : '  none: the policy allows everything');
  for (const n of s.notes) out.push(`  note: ${n}`);
  if (s.onto) out.push(`\nproof: the holder's registrations (what it had, and the ones above) mean the policy AND what it had, on ${s.kernels.join(', ')}, for every opcode and every context (${s.proof.contexts} search steps)`);
  else out.push(`\nproof: the registrations mean the policy on ${s.kernels.join(', ')} for every opcode and every context (${s.proof.contexts} search steps)`);
  return out.join('\n') + '\n';
}

