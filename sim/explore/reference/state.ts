// The reference model's world: a short, separate statement of the intended
// semantics (kernel-semantics.md with its errata), written for comparison with the
// simulated kernel, not derived from it.
//
// A holder (a task or a ring) has legacy sets and a filter table. A table maps each
// opcode to an ordered list of predicates, newest first, possibly ending in DENY.
// Tables are shared between holders after fork / ring creation; whether a later
// registration changes the shared table in place or a private copy is the
// profile's sharing rule (7.0–7.2 vs 7.3).

import type { Insn } from '../../../model/bpf/insn.ts';

/** One stacked filter: a program and the name it was registered under. */
export interface Pred {
  name: string;
  insns: readonly Insn[];
}

/** Per-opcode chain, newest first; 'DENY' is only ever last. */
export type Chain = readonly (Pred | 'DENY')[];

/**
 * A filter table: opcode -> chain (absent = empty slot). Slots that hold only DENY
 * (DENY_REST fills many at once) are kept as a bit mask, so copying a table is cheap.
 */
export interface Table {
  chains: ReadonlyMap<number, Chain>;
  deny: bigint;
}

export const EMPTY_TABLE: Table = { chains: new Map(), deny: 0n };
const ONLY_DENY: Chain = ['DENY'];

export function slotOf(t: Table, op: number): Chain | undefined {
  return t.chains.get(op) ?? ((t.deny >> BigInt(op)) & 1n ? ONLY_DENY : undefined);
}

/** Every non-empty slot, DENY-only ones included. */
export function tableSlots(t: Table): Map<number, Chain> {
  const m = new Map(t.chains);
  for (let op = 0; t.deny >> BigInt(op); op++) if ((t.deny >> BigInt(op)) & 1n) m.set(op, ONLY_DENY);
  return new Map([...m].sort((a, b) => a[0] - b[0]));
}

export interface Legacy {
  sqeOps: bigint;
  regOps: bigint;
  allowed: number;
  required: number;
  /** Any SQE-side entry (or the empty set) was registered. */
  opReg: boolean;
  /** Any REGISTER_OP entry (or the empty set) was registered. */
  regReg: boolean;
}

export interface Holder {
  legacy: Legacy;
  /** Table id in World.tables, or null for no filters. */
  table: number | null;
  /** The next own registration copies the table first. */
  cow: boolean;
}

export interface Task {
  name: string;
  alive: boolean;
  uid: number;
  nnp: boolean;
  /** io_uring_restrict: null until a task registration or inheritance. */
  rs: Holder | null;
  /** Ring names (per task, as in traces) -> ring id. */
  fds: ReadonlyMap<string, number>;
}

export interface PendingSqe {
  opcode: number;
  flags: number;
  ud: bigint;
  fd: number;
  off: bigint;
  len: number;
  addr: bigint;
  opf: number;
  buf: number;
  fidx: number;
  /** Any field the reference does not state a rule for (ioprio, personality, addr3, NOP's extras). */
  extra: boolean;
}

export interface RefCqe {
  ud: bigint;
  /** A result, or 'fd' for a request that made a file descriptor. */
  res: number | 'fd';
  flags: number;
}

export interface Ring {
  /** The task that created it (provenance for reports; not part of the state's key). */
  creator: string;
  /** SQ size: the setup entries rounded up to a power of two. */
  sqSize: number;
  rDisabled: boolean;
  submitAll: boolean;
  rs: Holder;
  opRestricted: boolean;
  regRestricted: boolean;
  /** The register allow list came from the creating task (7.2+ erratum 1). */
  regListInherited: boolean;
  /** pre-7.0: restrictions armed by ENABLE_RINGS. */
  armed: boolean;
  /** pre-7.0: a legacy registration succeeded. */
  registered: boolean;
  pending: readonly PendingSqe[];
  cq: readonly RefCqe[];
  /** A submission outside the stated alphabet happened: the CQ's content is not stated. */
  cqUnstated?: boolean;
}

export interface World {
  tasks: readonly Task[];
  rings: ReadonlyMap<number, Ring>;
  tables: ReadonlyMap<number, Table>;
  nextId: number;
}

export const NO_LEGACY: Legacy = { sqeOps: 0n, regOps: 0n, allowed: 0, required: 0, opReg: false, regReg: false };
export const EMPTY_HOLDER: Holder = { legacy: NO_LEGACY, table: null, cow: false };

export function initialWorld(): World {
  return {
    tasks: [{ name: 'init', alive: true, uid: 0, nnp: false, rs: null, fds: new Map() }],
    rings: new Map(),
    tables: new Map(),
    nextId: 1,
  };
}
