// The parsed form of a v1 trace (trace-format.md). The parser produces it; the
// replayer, the oracle's lowering to the guest wire form and the explorer consume it.
// Every symbolic name is already resolved to its number here.

import type { SourceLoc } from '../../model/errors.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import type { ProfileName } from '../../model/profile/profiles.ts';

export interface TraceFile {
  file: string;
  source: string;
  traces: Trace[];
}

export interface Trace {
  name: string;
  /** `kernels=` list, or null for every profile. */
  kernels: ProfileName[] | null;
  loc: SourceLoc;
  programs: Map<string, ProgramDecl>;
  commands: TraceCommand[];
}

export interface ProgramDecl {
  name: string;
  insns: Insn[];
  loc: SourceLoc;
}

/** `ring R` or `task` as the target of restrict and bpf. */
export type Target = { kind: 'ring'; ring: string } | { kind: 'task' };

/**
 * The facade's request types (sim/syscall/requests.ts), which the trace's commands carry.
 * In an `sqe` command, named fields are already lowered to raw ones where the ABI says
 * so, and `ud` defaults to the SQE's 0-based index among the trace's sqe commands.
 */
import type { BpfRaw, RestrictionEntry, SqeSpec } from '../syscall/requests.ts';
export type { BpfRaw, RestrictionEntry, SqeSpec };

export type CommandBody =
  | { c: 'ring'; ring: string; entries: number; flags: number }
  | { c: 'close'; ring: string }
  | { c: 'restrict'; target: Target; entries: RestrictionEntry[] }
  | { c: 'enable'; ring: string }
  | { c: 'register'; ring: string; op: number }
  | { c: 'bpf'; target: Target; op: number; flags: number; pdu: number | null; program: string; insns: readonly Insn[]; raw: BpfRaw }
  | { c: 'sqe'; ring: string; sqe: SqeSpec }
  | { c: 'submit'; ring: string }
  | { c: 'cqes'; ring: string }
  | { c: 'nnp' }
  | { c: 'setuid'; uid: number }
  | { c: 'fork'; child: string }
  | { c: 'exit' };

export type TraceCommand = CommandBody & {
  /** Index of the command within its trace, from 0 (the record's `i`). */
  i: number;
  /** The task making the call (`@T`, default `init`). */
  task: string;
  loc: SourceLoc;
  /** The command's source text without comment and expectation, for reports. */
  text: string;
  expect?: Expectation;
};

/** What `=> ...` says about the command's record. */
export type Expectation = { loc: SourceLoc; text: string } & (
  | { kind: 'ret'; ret: number; pdu?: number; left?: number }
  | { kind: 'cqes'; cqes: { ud: bigint; res: number | 'fd' }[] }
  | { kind: 'none' }
);

/**
 * One result record (trace-format.md "Records"). Key order in JSON is trace, i, task,
 * c, then the command's fields, in the order declared here.
 */
export interface TraceRecord {
  trace: string;
  i: number;
  task: string;
  c: CommandBody['c'];
  ret?: number;
  pdu?: number;
  queued?: number;
  op?: string;
  ud?: string;
  left?: number;
  cqes?: [string, number, number][];
}
