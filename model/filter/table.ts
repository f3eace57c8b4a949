// Filter tables and filter nodes (kernel-semantics.md §3): which holders share
// what, with the kernel's explicit reference counts, the DENY sentinel and
// copy-on-write. Everything here is a value: functions take a FilterStore and
// return a new one.
//
// Nodes are immutable after creation (new nodes are only pushed at a slot's head,
// so `next` never changes), which lets chains point straight at node objects; the
// only mutable thing about a node in the kernel, its refcount, lives beside it in
// `nodeRefs`. A table's slots change in place in the kernel (7.0-7.2 parent
// updates); here that is a new table value under the same id.

import type { Insn } from '../bpf/insn.ts';
import { IORING_OP_LAST } from '../abi/opcodes.ts';
import { IntMap } from '../pmap/intmap.ts';
import { copyOf } from '../pmap/copy.ts';
import type { FilterProgram } from './program.ts';

/** The static dummy_filter the kernel puts in slots DENY_REST fills. */
export interface DenySentinel {
  readonly deny: true;
}
export const DENY: DenySentinel = Object.freeze({ deny: true as const });

export interface FilterNode {
  readonly id: number;
  readonly opcode: number;
  readonly program: FilterProgram;
  /** The instructions as registered, for narration and hashing. */
  readonly insns: readonly Insn[];
  /** A name for people (the trace's program name), or ''. */
  readonly label: string;
  readonly next: Slot;
}

/**
 * A node record. The program is behaviour, not state: it lives in a private field
 * behind a getter, so enumeration (hashing, describe, equality) sees only the
 * state fields.
 */
class Node implements FilterNode {
  readonly #program: FilterProgram;
  constructor(
    readonly id: number,
    readonly opcode: number,
    readonly insns: readonly Insn[],
    readonly label: string,
    readonly next: Slot,
    program: FilterProgram,
  ) {
    this.#program = program;
  }

  get program(): FilterProgram {
    return this.#program;
  }
}

/** EMPTY (null), DENY, or the head node of a chain. */
export type Slot = FilterNode | DenySentinel | null;

/** Where a table's chains and DENYs are (kept with the slots, see SlotTable). */
export interface SlotLayout {
  /** The opcodes whose slot holds a node, ascending. */
  readonly chained: readonly number[];
  /** The DENY slots as 32-bit mask words (bit op & 31 of word op >>> 5). */
  readonly deny: readonly number[];
}

const DENY_WORDS = (IORING_OP_LAST + 31) >>> 5;

/**
 * A table's IORING_OP_LAST slots, stored sparsely: the few opcodes holding a chain
 * with their head nodes, and the DENY slots as a bit mask; every other slot is
 * EMPTY. A value: registration makes a new one. In the kernel the slots are an
 * array of IORING_OP_LAST pointers; copying one per registration was most of what
 * a filter registration cost the explorer, and every reader wants the chains and
 * the DENY mask anyway (the state key, the invariants, the probes).
 */
export class SlotTable implements SlotLayout {
  constructor(
    readonly chained: readonly number[],
    /** heads[i] is the head node of slot chained[i]. */
    readonly heads: readonly FilterNode[],
    readonly deny: readonly number[],
  ) {}

  /** Slot count (IORING_OP_LAST), as the kernel's array has. */
  get length(): number {
    return IORING_OP_LAST;
  }

  /** slots[op]: EMPTY (null), DENY or the chain's head. */
  at(op: number): Slot {
    if (((this.deny[op >>> 5] ?? 0) >>> (op & 31)) & 1) return DENY;
    const c = this.chained;
    for (let i = 0; i < c.length; i++) if (c[i] === op) return this.heads[i];
    return null;
  }

  /** Every slot in opcode order, as the kernel's array reads (for describing; the hot paths use at()). */
  toArray(): Slot[] {
    const out = new Array<Slot>(IORING_OP_LAST);
    for (let op = 0; op < IORING_OP_LAST; op++) out[op] = this.at(op);
    return out;
  }

  forEach(fn: (s: Slot, op: number) => void): void {
    for (let op = 0; op < IORING_OP_LAST; op++) fn(this.at(op), op);
  }

  [Symbol.iterator](): Iterator<Slot> {
    return this.toArray()[Symbol.iterator]();
  }

  /** The table holding a dense array's slots (tests and tools). */
  static of(slots: readonly Slot[]): SlotTable {
    const chained: number[] = [];
    const heads: FilterNode[] = [];
    const deny = new Array<number>(DENY_WORDS).fill(0);
    for (let op = 0; op < slots.length && op < IORING_OP_LAST; op++) {
      const x = slots[op];
      if (x === null || x === undefined) continue;
      if (x === DENY) deny[op >>> 5] |= 1 << (op & 31);
      else {
        chained.push(op);
        heads.push(x as FilterNode);
      }
    }
    return Object.freeze(new SlotTable(Object.freeze(chained), Object.freeze(heads), Object.freeze(deny)));
  }
}

export const EMPTY_SLOTS: SlotTable = SlotTable.of([]);

export interface FilterTable {
  readonly id: number;
  /** Number of restriction sets whose bpf_filters points here (§3.2). */
  readonly refs: number;
  readonly slots: SlotTable;
}

export interface FilterStore {
  readonly tables: IntMap<FilterTable>;
  /** Node id → refcount (owning edges, §3.2). */
  readonly nodeRefs: IntMap<number>;
  readonly nextTable: number;
  readonly nextNode: number;
}

export function makeStore(tables: IntMap<FilterTable>, nodeRefs: IntMap<number>, nextTable: number, nextNode: number): FilterStore {
  return { tables, nodeRefs, nextTable, nextNode };
}

export function makeTable(id: number, refs: number, slots: SlotTable): FilterTable {
  return { id, refs, slots };
}

export const EMPTY_STORE: FilterStore = makeStore(IntMap.empty<FilterTable>(), IntMap.empty<number>(), 1, 1);

export function isDeny(s: Slot): s is DenySentinel {
  return s === DENY;
}

export function isNode(s: Slot): s is FilterNode {
  return s !== null && s !== DENY;
}

function table(store: FilterStore, id: number): FilterTable {
  const t = store.tables.get(id);
  if (!t) throw new Error(`internal: filter table ${id} does not exist`);
  return t;
}

/** A fresh table: every slot empty, refcount 1. */
export function allocTable(store: FilterStore): { store: FilterStore; id: number } {
  const id = store.nextTable;
  const t = makeTable(id, 1, EMPTY_SLOTS);
  return { store: makeStore(store.tables.set(id, t), store.nodeRefs, id + 1, store.nextNode), id };
}

/** io_bpf_filter_clone's reference: one more holder of the table. */
export function takeTableRef(store: FilterStore, id: number): FilterStore {
  const t = table(store, id);
  return makeStore(store.tables.set(id, makeTable(id, t.refs + 1, t.slots)), store.nodeRefs, store.nextTable, store.nextNode);
}

/**
 * Drop one holder's reference. At zero the table is freed: each chain is walked
 * from its head, decrementing nodes and freeing those that reach zero, stopping
 * at the first node someone else still owns, at DENY or at the end (§3.2).
 */
export function dropTableRef(store: FilterStore, id: number): FilterStore {
  const t = table(store, id);
  if (t.refs > 1) return makeStore(store.tables.set(id, makeTable(id, t.refs - 1, t.slots)), store.nodeRefs, store.nextTable, store.nextNode);
  let nodeRefs = store.nodeRefs;
  const heads = t.slots.heads;
  for (let i = 0; i < heads.length; i++) {
    let s: Slot = heads[i];
    while (isNode(s)) {
      const r = (nodeRefs.get(s.id) ?? 0) - 1;
      if (r > 0) {
        nodeRefs = nodeRefs.set(s.id, r);
        break;
      }
      nodeRefs = nodeRefs.delete(s.id);
      s = s.next;
    }
  }
  return makeStore(store.tables.delete(id), nodeRefs, store.nextTable, store.nextNode);
}

/**
 * io_bpf_filter_cow: a new table (refcount 1) whose slots are a shallow copy of the
 * old one; each real head gains a reference, DENY and EMPTY are copied as they are.
 * The old table keeps its reference until the registration commits.
 */
export function cowTable(store: FilterStore, id: number): { store: FilterStore; id: number } {
  const old = table(store, id);
  let nodeRefs = store.nodeRefs;
  const heads = old.slots.heads;
  for (let i = 0; i < heads.length; i++) nodeRefs = nodeRefs.set(heads[i].id, (nodeRefs.get(heads[i].id) ?? 0) + 1);
  const nid = store.nextTable;
  return { store: makeStore(store.tables.set(nid, makeTable(nid, 1, old.slots)), nodeRefs, nid + 1, store.nextNode), id: nid };
}

/**
 * Commit a new filter into table `id` (§2.4 E.3-4): push a node (refcount 1) at the
 * head of slots[opcode]; with DENY_REST, every other slot that is empty now becomes
 * DENY.
 */
export function pushFilter(
  store: FilterStore,
  id: number,
  opcode: number,
  program: FilterProgram,
  insns: readonly Insn[],
  label: string,
  denyRest: boolean,
): { store: FilterStore; node: FilterNode } {
  const t = table(store, id);
  const nodeId = store.nextNode;
  // The instructions as registered: a frozen array is already a value of its own.
  const own = Object.isFrozen(insns) ? insns : Object.freeze(copyOf(insns));
  const old = t.slots;
  const node: FilterNode = new Node(nodeId, opcode, own, label, old.at(opcode), program);
  // The node heads slot `opcode`; with DENY_REST every slot without a chain holds DENY.
  // (The new arrays are not frozen: freezing was a third of a registration's cost,
  // and nothing outside this file makes or changes a SlotTable's arrays.)
  const oc = old.chained, oh = old.heads;
  let chained = oc;
  let heads: FilterNode[];
  const at = oc.indexOf(opcode);
  if (at >= 0) {
    heads = copyOf(oh);
    heads[at] = node;
  } else {
    const c = new Array<number>(oc.length + 1);
    heads = new Array<FilterNode>(oh.length + 1);
    let i = 0;
    for (; i < oc.length && oc[i] < opcode; i++) { c[i] = oc[i]; heads[i] = oh[i]; }
    c[i] = opcode;
    heads[i] = node;
    for (; i < oc.length; i++) { c[i + 1] = oc[i]; heads[i + 1] = oh[i]; }
    chained = c;
  }
  const deny = copyOf(old.deny);
  if (denyRest) {
    for (let w = 0; w < deny.length; w++) deny[w] = w === deny.length - 1 && IORING_OP_LAST & 31 ? (1 << (IORING_OP_LAST & 31)) - 1 : -1;
    for (let i = 0; i < chained.length; i++) deny[chained[i] >>> 5] &= ~(1 << (chained[i] & 31));
  } else {
    deny[opcode >>> 5] &= ~(1 << (opcode & 31));
  }
  const slots = new SlotTable(chained, heads, deny);
  const nt = makeTable(id, t.refs, slots);
  return { store: makeStore(store.tables.set(id, nt), store.nodeRefs.set(nodeId, 1), store.nextTable, nodeId + 1), node };
}

/** The chain of a slot as a list, head first, ending with 'DENY' when it does. */
export function chainOf(s: Slot): (FilterNode | DenySentinel)[] {
  const out: (FilterNode | DenySentinel)[] = [];
  while (s !== null) {
    out.push(s);
    if (isDeny(s)) break;
    s = s.next;
  }
  return out;
}
