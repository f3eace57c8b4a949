// Invariants of the simulated kernel (issue item 7), checked after every step when
// enabled. Each is stated independently of the code that maintains it:
// - a table's refcount equals the number of restriction sets pointing at it (plus
//   references a kernel bug leaked); every referenced table exists;
// - a node's refcount equals its owning edges: slot heads plus `next` pointers of
//   live nodes (§3.2); every live node is accounted for and nothing else is;
// - DENY ends every chain it appears in;
// - once no task and no ring is left, no table and no node is left;
// - restrict-only: a holder's allowed probe set never grows, and a forked child's
//   starts equal to its parent's.

import type { KernelProfile } from '../../model/profile/profiles.ts';
import { isNode, type FilterNode, type SlotTable } from '../../model/filter/table.ts';
import type { Ring } from '../../model/ring/ring.ts';
import type { Task } from '../../model/task/task.ts';
import type { World } from '../../model/world/world.ts';
import type { FilterStore } from '../../model/filter/table.ts';
import { describeWorld, formatWorld } from '../../model/world/describe.ts';
import { grownPolicy, probeName, samePolicy, type HolderPolicy } from './probe.ts';

export type InvariantKind = 'table-refs' | 'node-refs' | 'deny-last' | 'leftover' | 'restrict-only' | 'fork-policy';

export interface InvariantViolation {
  kind: InvariantKind;
  message: string;
  /** The step (call number) after which it was seen, when the kernel reports it. */
  step?: number;
  /** The state then, as text. */
  state: string;
  /** Set when the profile's kernel really behaves this way (a known kernel bug). */
  knownKernelBug?: string;
}

export function checkInvariants(world: World, profile: KernelProfile, prev?: World | null): InvariantViolation[] {
  // (No closures in here: the explorer calls this for every new state, and the tsx
  // transform wraps each closure it creates.)
  const out: Found[] = [];

  // Table refcounts. (Index loops over the maps' value arrays: this runs for every
  // new state of an exploration, and iterators allocate.)
  const holders = new Map<number, number>();
  const tasks = world.tasks.valueArray(), rings = world.rings.valueArray();
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i];
    const id = t.rs?.table ?? null;
    if (id === null) continue;
    if (!world.filters.tables.has(id)) add(out, 'table-refs', `task ${t.pid} points at table ${id}, which does not exist`);
    holders.set(id, (holders.get(id) ?? 0) + 1);
  }
  for (let i = 0; i < rings.length; i++) {
    const r = rings[i];
    const id = r.rs.table;
    if (id !== null) {
      if (!world.filters.tables.has(id)) add(out, 'table-refs', `ring ${r.id} points at table ${id}, which does not exist`);
      holders.set(id, (holders.get(id) ?? 0) + 1);
    }
    if (r.filterCache !== null && !world.filters.tables.has(r.filterCache)) add(out, 'table-refs', `ring ${r.id} submits through table ${r.filterCache}, which does not exist`);
  }
  if (world.leaked.size) for (const [id, n] of world.leaked) holders.set(id, (holders.get(id) ?? 0) + n);
  const tables = world.filters.tables.valueArray();
  for (let i = 0; i < tables.length; i++) {
    const t = tables[i];
    const h = holders.get(t.id) ?? 0;
    if (t.refs !== h) add(out, 'table-refs', `table ${t.id} has refcount ${t.refs} but ${h} holder(s)`);
  }

  // Node refcounts and DENY last depend on the filter store alone: checked once per store value.
  for (const v of storeViolations(world.filters)) out.push(v);

  // Nothing left.
  if (world.tasks.size === 0 && world.rings.size === 0) {
    const bug = world.leaked.size && !profile.restrictionsParseFailureKeepsBpf ? 'the 7.0-merge RESTRICTIONS parse failure leaks the table reference (§8.18, fixed by aa35dd6bdd03)' : undefined;
    if (world.filters.tables.size) add(out, 'leftover', `${world.filters.tables.size} table(s) left after every task exited and every ring closed`, bug);
    if (world.filters.nodeRefs.size) add(out, 'leftover', `${world.filters.nodeRefs.size} node(s) left after every task exited and every ring closed`, bug);
  }

  // Restrict-only.
  if (prev) {
    const bug = !profile.restrictionsParseFailureKeepsBpf && world.leaked.size ? 'a failed ring RESTRICTIONS parse in 7.0-merge drops the ring\'s table, so its next BPF registration starts empty (§8.18)' : undefined;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i];
      const before = prev.tasks.get(t.pid);
      if (before) compare(out, 'task', t.pid, taskPolicy(prev, before), taskPolicy(world, t), profile);
      else if (t.ppid !== null) {
        const parent = prev.tasks.get(t.ppid);
        if (parent) {
          if (!samePolicy(profile, taskPolicy(prev, parent), taskPolicy(world, t))) add(out, 'fork-policy', `task ${t.pid}'s policy differs from its parent ${t.ppid}'s at fork`);
        }
      }
    }
    for (let i = 0; i < rings.length; i++) {
      const r = rings[i];
      const before = prev.rings.get(r.id);
      if (before) compare(out, 'ring', r.id, ringPolicy(prev, before, profile), ringPolicy(world, r, profile), profile, bug);
    }
  }

  if (!out.length) return [];
  const state = formatWorld(describeWorld(world));
  return out.map((v) => ({ ...v, state }));
}

export function add(out: Found[], kind: InvariantKind, message: string, knownKernelBug?: string): void {
  out.push(knownKernelBug ? { kind, message, knownKernelBug } : { kind, message });
}

export function compare(
  out: Found[],
  holder: 'task' | 'ring',
  id: number,
  before: HolderPolicy,
  now: HolderPolicy,
  profile: KernelProfile,
  bug?: string,
): void {
  const g = grownPolicy(profile, before, now);
  if (g.length) add(out, 'restrict-only', `${holder} ${id} now allows what it did not: ${g.slice(0, 5).map(probeName).join(', ')}${g.length > 5 ? ', ...' : ''}`, bug);
}

export type Found = Omit<InvariantViolation, 'state'>;

/**
 * The last store checked and what was found. An explorer checks the successors of
 * one state after another, and every move but a filter registration leaves the
 * store as it was; a WeakMap over all stores cost more in its upkeep than the walks
 * it saved.
 */
let lastStore: FilterStore | null = null;
let lastFound: readonly Found[] = [];

/**
 * Node refcounts (owning edges = slot heads + `next` pointers of live nodes) and
 * DENY last, for one filter store.
 */
function storeViolations(store: FilterStore): readonly Found[] {
  if (store === lastStore) return lastFound;
  const out: Found[] = [];
  // Node ids are handed out from store.nextNode: arrays indexed by id, no maps.
  const edges = new Int32Array(store.nextNode);
  const live: (FilterNode | undefined)[] = new Array(store.nextNode);
  const tables = store.tables.valueArray();
  for (let i = 0; i < tables.length; i++) {
    const t = tables[i];
    const heads = t.slots.heads;
    for (let h = 0; h < heads.length; h++) {
      // Owning edges: the slot's, then each `next` of a node reached for the first time.
      let n: FilterNode = heads[h];
      edges[n.id]++;
      while (live[n.id] === undefined) {
        live[n.id] = n;
        if (!isNode(n.next)) break;
        n = n.next;
        edges[n.id]++;
      }
    }
    const endless = endlessSlots(t.slots);
    for (let e = 0; e < endless.length; e++) out.push({ kind: 'deny-last', message: `table ${t.id} slot ${endless[e]}: the chain does not end` });
  }
  const refIds = store.nodeRefs.keyArray();
  for (let id = 0; id < live.length; id++) {
    const n = live[id];
    if (n === undefined) continue;
    const r = store.nodeRefs.get(id);
    if (r === undefined) out.push({ kind: 'node-refs', message: `node ${id} (opcode ${n.opcode}) is reachable but has no refcount` });
    else if (r !== edges[id]) out.push({ kind: 'node-refs', message: `node ${id} has refcount ${r} but ${edges[id]} owning edge(s)` });
  }
  for (let i = 0; i < refIds.length; i++) {
    if (refIds[i] >= live.length || live[refIds[i]] === undefined) out.push({ kind: 'node-refs', message: `node ${refIds[i]} has a refcount but nothing reaches it` });
  }
  lastStore = store;
  lastFound = out;
  return out;
}

/**
 * The slots whose chain does not end. A chain can only end at nothing or at DENY,
 * so DENY-last reduces to every chain ending. (Chains are a few nodes long: walking
 * them costs less than remembering the answer per table.)
 */
const NO_OPS: readonly number[] = Object.freeze([]);
export function endlessSlots(slots: SlotTable): readonly number[] {
  let out: number[] | null = null;
  for (let i = 0; i < slots.heads.length; i++) {
    let x: FilterNode['next'] = slots.heads[i];
    let steps = 0;
    while (isNode(x)) {
      x = x.next;
      if (++steps > 1 << 16) { (out ??= []).push(slots.chained[i]); break; }
    }
  }
  return out ?? NO_OPS;
}

function slotsOf(w: World, id: number | null): SlotTable | null {
  return id === null ? null : (w.filters.tables.get(id)?.slots ?? null);
}

/** A task's set as it would bind a ring the task creates (§7.2). */
export function taskPolicy(w: World, t: Task): HolderPolicy {
  const rs = t.rs;
  if (!rs) return { sqeLegacy: null, regLegacy: null, slots: null };
  const l = rs.legacy;
  return { sqeLegacy: l && l.opRegistered ? l : null, regLegacy: l && l.regRegistered ? l : null, slots: slotsOf(w, rs.table) };
}

export function ringPolicy(w: World, r: Ring, profile: KernelProfile): HolderPolicy {
  const l = r.rs.legacy;
  const regBinds = r.regRestricted && (!r.disabled || (profile.inheritedRegListBindsDisabled && r.regInherited));
  return { sqeLegacy: r.opRestricted ? l : null, regLegacy: regBinds ? l : null, slots: slotsOf(w, r.filterCache) };
}


/**
 * The shape the replayer asks for (sim/trace/replay.ts InvariantCheck): the
 * violations between the world before a command and the kernel's world after it.
 * Violations the profile's kernel really has (knownKernelBug) are left out.
 */
export function replayInvariantCheck(
  kernel: { readonly world: unknown; readonly profile: KernelProfile },
  prev: unknown,
): { message: string; state: string }[] {
  return checkInvariants(kernel.world as World, kernel.profile, prev as World)
    .filter((v) => !v.knownKernelBug)
    .map((v) => ({ message: `${v.kind}: ${v.message}`, state: v.state }));
}
