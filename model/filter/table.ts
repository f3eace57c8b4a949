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

export interface FilterTable {
  readonly id: number;
  /** Number of restriction sets whose bpf_filters points here (§3.2). */
  readonly refs: number;
  readonly slots: readonly Slot[];
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

export function makeTable(id: number, refs: number, slots: readonly Slot[]): FilterTable {
  return { id, refs, slots };
}

export const EMPTY_STORE: FilterStore = makeStore(IntMap.empty<FilterTable>(), IntMap.empty<number>(), 1, 1);

/**
 * Where a slot array's chains and DENYs are: the opcodes whose slot holds a node
 * (ascending) and the DENY slots as 32-bit mask words. Derived from the array and
 * kept per array (arrays never change): the state key, the invariants and the
 * probes read it instead of scanning all IORING_OP_LAST slots, and filter
 * registration derives a new array's layout from the old one's.
 */
export interface SlotLayout {
  readonly chained: readonly number[];
  readonly deny: readonly number[];
}

const layouts = new WeakMap<readonly Slot[], SlotLayout>();

export function slotLayout(slots: readonly Slot[]): SlotLayout {
  let l = layouts.get(slots);
  if (!l) layouts.set(slots, (l = scanLayout(slots)));
  return l;
}

/** A slot array's layout by scanning every slot (what slotLayout remembers or derives). */
export function scanLayout(slots: readonly Slot[]): SlotLayout {
  const chained: number[] = [];
  const deny: number[] = [];
  for (let w = 0; w < (slots.length + 31) >>> 5; w++) deny.push(0);
  for (let i = 0; i < slots.length; i++) {
    const x = slots[i];
    if (x === null || x === undefined) continue;
    if (x === DENY) deny[i >>> 5] |= 1 << (i & 31);
    else chained.push(i);
  }
  return { chained, deny };
}

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
  const t = makeTable(id, 1, Object.freeze(new Array<Slot>(IORING_OP_LAST).fill(null)));
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
  // (Index loops over slot arrays: for-of over a frozen array allocates an
  // iterator result per element in V8, and this runs millions of times.)
  for (let i = 0; i < t.slots.length; i++) {
    let s: Slot = t.slots[i];
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
  for (let i = 0; i < old.slots.length; i++) {
    const s = old.slots[i];
    if (isNode(s)) nodeRefs = nodeRefs.set(s.id, (nodeRefs.get(s.id) ?? 0) + 1);
  }
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
  const node: FilterNode = Object.freeze(new Node(nodeId, opcode, own, label, t.slots[opcode], program));
  const slots = copyOf(t.slots);
  slots[opcode] = node;
  if (denyRest) for (let i = 0; i < slots.length; i++) if (i !== opcode && slots[i] === null) slots[i] = DENY;
  Object.freeze(slots);
  // The new layout from the old one: opcode now holds a chain; with DENY_REST every
  // slot without one holds DENY.
  const old = slotLayout(t.slots);
  let chained = old.chained as number[];
  if (!chained.includes(opcode)) {
    chained = chained.slice();
    let at = chained.length;
    while (at > 0 && chained[at - 1] > opcode) at--;
    chained.splice(at, 0, opcode);
  }
  const deny = old.deny.slice();
  if (denyRest) {
    for (let w = 0; w < deny.length; w++) deny[w] = w === deny.length - 1 && slots.length & 31 ? (1 << (slots.length & 31)) - 1 : -1;
    for (let i = 0; i < chained.length; i++) deny[chained[i] >>> 5] &= ~(1 << (chained[i] & 31));
  } else {
    deny[opcode >>> 5] &= ~(1 << (opcode & 31));
  }
  layouts.set(slots, { chained, deny });
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
