// Lowering a parsed trace (sim/trace/ast.ts) into the guest program's wire form: one
// command per line, every name resolved to a number, every default made explicit, so
// the C side needs no symbol tables. The format is specified in guest/guest.c's header
// and in docs/oracle.md.

import type { Trace, TraceCommand } from '../trace/ast.ts';
import { DEFAULT_PROFILE, getProfile, pduSizeFor, type KernelProfile } from '../../model/profile/profiles.ts';

export const WIRE_VERSION = 1;

export interface WireOptions {
  /** Per-command timeout in the guest, ms. */
  cmdMs?: number;
  /** Per-trace timeout in the guest, ms. */
  traceMs?: number;
}

export function wireHeader(o: WireOptions = {}): string {
  return `W ${WIRE_VERSION} cmd_ms=${o.cmdMs ?? 5000} trace_ms=${o.traceMs ?? 10000}\n`;
}

const u64 = (v: bigint): string => BigInt.asUintN(64, v).toString();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function lowerCommand(c: TraceCommand, profile: KernelProfile): string {
  const head = `${c.i} ${c.task} ${c.c}`;
  switch (c.c) {
    case 'ring':
      return `${head} ${c.ring} ${c.entries >>> 0} ${c.flags >>> 0}`;
    case 'close':
    case 'enable':
    case 'submit':
    case 'cqes':
      return `${head} ${c.ring}`;
    case 'register':
      return `${head} ${c.ring} ${c.op >>> 0}`;
    case 'restrict': {
      const t = c.target.kind === 'task' ? '-' : c.target.ring;
      return [head, t, c.entries.length, ...c.entries.map((e) => `${e.type}:${e.value}`)].join(' ');
    }
    case 'bpf': {
      const t = c.target.kind === 'task' ? '-' : c.target.ring;
      // pdu omitted: the kernel's payload size for the opcode, as the replayer passes it.
      const pdu = c.pdu ?? pduSizeFor(profile, c.op);
      const r = c.raw;
      return [
        head, t, c.op >>> 0, c.flags >>> 0, pdu,
        r.cmd_type ?? 1, r.cmd_flags ?? 0, r.resv ?? 0, u64(r.resv2 ?? 0n),
        r.len ?? -1, r.nr_args ?? 1, r.ptrNull ? 1 : 0, r.filter_resv ?? 0,
        c.insns.length, ...c.insns.map((x) => `${x.code}:${x.jt}:${x.jf}:${x.k >>> 0}`),
      ].join(' ');
    }
    case 'sqe': {
      const s = c.sqe;
      const parts: (string | number)[] = [
        head, c.ring, s.opcode, s.flags, u64(s.ud), s.ioprio, s.fd | 0, u64(s.off), u64(s.addr),
        s.len >>> 0, s.opf >>> 0, s.buf, s.pers, s.fidx | 0, u64(s.addr3),
      ];
      if (s.path !== undefined) parts.push(`path=${hex(new TextEncoder().encode(s.path))}`);
      if (s.how) parts.push(`how=${u64(s.how.flags)}:${u64(s.how.mode)}:${u64(s.how.resolve)}`);
      if (s.sockaddr) parts.push(`sa=${hex(s.sockaddr)}`);
      return parts.join(' ');
    }
    case 'nnp':
    case 'exit':
      return head;
    case 'setuid':
      return `${head} ${c.uid >>> 0}`;
    case 'fork':
      return `${head} ${c.child}`;
  }
}

/**
 * One trace in wire form (`T NAME`, its commands, `E`). `profile` decides defaults
 * that depend on the kernel (a bpf command's pdu_size); `name` replaces the trace's
 * name on the wire, so traces of several files can share one guest run.
 */
export function lowerTrace(trace: Trace, profile: KernelProfile = getProfile(DEFAULT_PROFILE)!, name = trace.name): string {
  const lines = [`T ${name}`];
  for (const c of trace.commands) lines.push(lowerCommand(c, profile));
  lines.push('E');
  return lines.join('\n') + '\n';
}
