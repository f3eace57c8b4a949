// The invariants of sim/check/invariants.ts checked incrementally, for replay: the
// full check walks every task, ring, table and node after every step, so a trace
// of n forks cost O(n²). This checker keeps indexes of the world it last saw
// (who holds which table, each node's owning edges and liveness) and, from the
// persistent maps' diffs (IntMap.diff skips shared branches), re-examines only
// what a step touched:
// - a task or ring that changed: its table references and its policy;
// - a table that changed: its refcount against its holders, its chains (DENY
//   last), its nodes' owning edges, and the policy of every holder of it;
// - a node whose refcount, edges or liveness changed: its refcount.
// Violations of the standing invariants (refcounts, DENY last) are kept per entity
// until a later step repairs them, so every step reports what the full check would
// report: tests/check compare the two on random traces and on planted broken worlds.
//
// Node liveness is counted (a node is live while it has an owning edge), which
// equals the full check's reachability because chains are acyclic: nodes are
// immutable and only ever pushed at a head (model/filter/table.ts). A cycle planted
// by hand is still reported (deny-last) when it appears.

import type { KernelProfile } from '../../model/profile/profiles.ts';
import { isNode, type FilterNode, type FilterTable, type Slot } from '../../model/filter/table.ts';
import { IntMap } from '../../model/pmap/intmap.ts';
import type { Ring } from '../../model/ring/ring.ts';
import type { Task } from '../../model/task/task.ts';
import type { World } from '../../model/world/world.ts';
import { describeWorld, formatWorld } from '../../model/world/describe.ts';
import { samePolicy } from './probe.ts';
import {
  add, compare, endlessSlots, ringPolicy, taskPolicy, checkInvariants,
  type Found, type InvariantViolation,
} from './invariants.ts';

/** Holder sets by table id (a Set per table with at least one holder). */
class Holders {
  private readonly m = new Map<number, Set<number>>();
  add(table: number | null, id: number): void {
    if (table === null) return;
    let s = this.m.get(table);
    if (!s) this.m.set(table, (s = new Set()));
    s.add(id);
  }
  remove(table: number | null, id: number): void {
    if (table === null) return;
    const s = this.m.get(table);
    if (!s) return;
    s.delete(id);
    if (!s.size) this.m.delete(table);
  }
  count(table: number): number {
    return this.m.get(table)?.size ?? 0;
  }
  of(table: number): ReadonlySet<number> {
    return this.m.get(table) ?? NOBODY;
  }
}
const NOBODY: ReadonlySet<number> = new Set();

const EMPTY_TASKS = IntMap.empty<Task>();
const EMPTY_RINGS = IntMap.empty<Ring>();
const EMPTY_TABLES = IntMap.empty<FilterTable>();
const EMPTY_COUNTS = IntMap.empty<number>();

/**
 * An incremental invariant checker bound to one profile. `check(world, prev)` gives
 * what checkInvariants(world, profile, prev) gives (up to order). It is fastest when
 * `prev` is the world of its last call; any other `prev` (a restored world) costs
 * one rebuild of the indexes, O(world).
 */
export class IncrementalInvariants {
  /** The world the indexes describe, or null before the first call. */
  private seen: World | null = null;
  private taskHolders = new Holders();
  private ringHolders = new Holders();
  /** Rings by the table their submission reads (ring->bpf_filters' cache, filterCache). */
  private ringReaders = new Holders();
  /** Owning edges by node id (slot heads + `next` of live nodes), and the live nodes. */
  private edges = new Map<number, number>();
  private live = new Map<number, FilterNode>();
  /** Standing violations by entity: 't'+pid, 'r'+ring, 'T'+table (refcount), 'S'+table (chains), 'N'+node. */
  private standing = new Map<string, Found[]>();

  // Per-step scratch: what to re-examine.
  private dirtyTables = new Set<number>();
  private dirtyNodes = new Set<number>();
  private dirtyTasks = new Set<number>();
  private dirtyRings = new Set<number>();

  constructor(readonly profile: KernelProfile) {}

  check(world: World, prev: World | null): InvariantViolation[] {
    if (this.seen !== prev) this.rebuild(prev);
    const perStep: Found[] = [];
    this.advance(prev, world, perStep);
    this.seen = world;
    const out: Found[] = [];
    // The full check's order: holders' references, tables' refcounts, chains, nodes; then leftovers and policies.
    for (const prefix of ['t', 'r', 'T', 'S', 'N']) for (const [k, v] of this.standing) if (k[0] === prefix) for (const f of v) out.push(f);
    if (world.tasks.size === 0 && world.rings.size === 0) {
      const bug = world.leaked.size && !this.profile.restrictionsParseFailureKeepsBpf ? 'the 7.0-merge RESTRICTIONS parse failure leaks the table reference (§8.18, fixed by aa35dd6bdd03)' : undefined;
      if (world.filters.tables.size) add(out, 'leftover', `${world.filters.tables.size} table(s) left after every task exited and every ring closed`, bug);
      if (world.filters.nodeRefs.size) add(out, 'leftover', `${world.filters.nodeRefs.size} node(s) left after every task exited and every ring closed`, bug);
    }
    for (const f of perStep) out.push(f);
    if (!out.length) return [];
    const state = formatWorld(describeWorld(world));
    return out.map((v) => ({ ...v, state }));
  }

  /** Forget everything and index `w` from nothing (every entity is then re-examined). */
  private rebuild(w: World | null): void {
    this.taskHolders = new Holders();
    this.ringHolders = new Holders();
    this.ringReaders = new Holders();
    this.edges = new Map();
    this.live = new Map();
    this.standing = new Map();
    this.seen = null;
    if (w) this.advance(null, w, null);
    this.seen = w;
  }

  /**
   * Bring the indexes from `prev` (null: the empty world) to `world` and re-examine
   * what changed. Policy comparisons (restrict-only, fork-policy) go to `perStep`
   * when given (not during a rebuild, which has no step).
   */
  private advance(prev: World | null, world: World, perStep: Found[] | null): void {
    const dT = this.dirtyTables, dN = this.dirtyNodes, dTasks = this.dirtyTasks, dRings = this.dirtyRings;
    dT.clear(); dN.clear(); dTasks.clear(); dRings.clear();
    const profile = this.profile;
    const pTables = prev?.filters.tables ?? EMPTY_TABLES;
    const tables = world.filters.tables;
    /** Holders whose policy was compared already this step. */
    const comparedTasks = new Set<number>(), comparedRings = new Set<number>();
    const ringBug = !profile.restrictionsParseFailureKeepsBpf && world.leaked.size ? 'a failed ring RESTRICTIONS parse in 7.0-merge drops the ring\'s table, so its next BPF registration starts empty (§8.18)' : undefined;

    world.tasks.diff(prev?.tasks ?? EMPTY_TASKS, (pid, a, b) => {
      const ta = a?.rs?.table ?? null, tb = b?.rs?.table ?? null;
      if (ta !== tb) {
        this.taskHolders.remove(ta, pid);
        this.taskHolders.add(tb, pid);
        if (ta !== null) dT.add(ta);
        if (tb !== null) dT.add(tb);
      }
      dTasks.add(pid);
      if (!perStep || !prev || !b) return;
      comparedTasks.add(pid);
      if (a) compare(perStep, 'task', pid, taskPolicy(prev, a), taskPolicy(world, b), profile);
      else if (b.ppid !== null) {
        const parent = prev.tasks.get(b.ppid);
        if (parent && !samePolicy(profile, taskPolicy(prev, parent), taskPolicy(world, b))) add(perStep, 'fork-policy', `task ${pid}'s policy differs from its parent ${b.ppid}'s at fork`);
      }
    });
    world.rings.diff(prev?.rings ?? EMPTY_RINGS, (id, a, b) => {
      const ta = a?.rs.table ?? null, tb = b?.rs.table ?? null;
      if (ta !== tb) {
        this.ringHolders.remove(ta, id);
        this.ringHolders.add(tb, id);
        if (ta !== null) dT.add(ta);
        if (tb !== null) dT.add(tb);
      }
      const ca = a?.filterCache ?? null, cb = b?.filterCache ?? null;
      if (ca !== cb) {
        this.ringReaders.remove(ca, id);
        this.ringReaders.add(cb, id);
      }
      dRings.add(id);
      if (!perStep || !prev || !a || !b) return;
      comparedRings.add(id);
      compare(perStep, 'ring', id, ringPolicy(prev, a, profile), ringPolicy(world, b, profile), profile, ringBug);
    });
    world.leaked.diff(prev?.leaked ?? EMPTY_COUNTS, (id) => { dT.add(id); });

    if (prev?.filters !== world.filters) {
      tables.diff(pTables, (id, a, b) => {
        dT.add(id);
        if ((a === undefined) !== (b === undefined)) {
          // A table came or went: its holders' references are re-examined.
          for (const pid of this.taskHolders.of(id)) dTasks.add(pid);
          for (const r of this.ringHolders.of(id)) dRings.add(r);
          for (const r of this.ringReaders.of(id)) dRings.add(r);
        }
        const sa = a?.slots, sb = b?.slots;
        if (sa === sb) return;
        // New owning edges first, then the old ones go: a node in both keeps living.
        if (sb) for (let i = 0; i < sb.heads.length; i++) this.addEdge(sb.heads[i]);
        if (sa) for (let i = 0; i < sa.heads.length; i++) this.removeEdge(sa.heads[i]);
        const key = `S${id}`;
        const endless = sb ? endlessSlots(sb) : [];
        if (endless.length) this.standing.set(key, endless.map((op) => ({ kind: 'deny-last' as const, message: `table ${id} slot ${op}: the chain does not end` })));
        else this.standing.delete(key);
        // Everyone who reads this table's slots may now allow something else.
        if (!perStep || !prev) return;
        for (const pid of this.taskHolders.of(id)) {
          if (comparedTasks.has(pid)) continue;
          const t = world.tasks.get(pid)!, before = prev.tasks.get(pid);
          comparedTasks.add(pid);
          if (before) compare(perStep, 'task', pid, taskPolicy(prev, before), taskPolicy(world, t), profile);
        }
        for (const rid of this.ringReaders.of(id)) {
          if (comparedRings.has(rid)) continue;
          const r = world.rings.get(rid)!, before = prev.rings.get(rid);
          comparedRings.add(rid);
          if (before) compare(perStep, 'ring', rid, ringPolicy(prev, before, profile), ringPolicy(world, r, profile), profile, ringBug);
        }
      });
      world.filters.nodeRefs.diff(prev?.filters.nodeRefs ?? EMPTY_COUNTS, (id) => { dN.add(id); });
    }

    // Re-examine what was touched.
    for (const pid of dTasks) {
      const t = world.tasks.get(pid);
      const id = t?.rs?.table ?? null;
      const key = `t${pid}`;
      if (t && id !== null && !tables.has(id)) this.standing.set(key, [{ kind: 'table-refs', message: `task ${pid} points at table ${id}, which does not exist` }]);
      else this.standing.delete(key);
    }
    for (const rid of dRings) {
      const r = world.rings.get(rid);
      const key = `r${rid}`;
      const found: Found[] = [];
      if (r) {
        const id = r.rs.table;
        if (id !== null && !tables.has(id)) add(found, 'table-refs', `ring ${rid} points at table ${id}, which does not exist`);
        if (r.filterCache !== null && !tables.has(r.filterCache)) add(found, 'table-refs', `ring ${rid} submits through table ${r.filterCache}, which does not exist`);
      }
      if (found.length) this.standing.set(key, found);
      else this.standing.delete(key);
    }
    for (const id of dT) {
      const t = tables.get(id);
      const key = `T${id}`;
      const h = this.taskHolders.count(id) + this.ringHolders.count(id) + (world.leaked.get(id) ?? 0);
      if (t && t.refs !== h) this.standing.set(key, [{ kind: 'table-refs', message: `table ${id} has refcount ${t.refs} but ${h} holder(s)` }]);
      else this.standing.delete(key);
      if (!t) this.standing.delete(`S${id}`);
    }
    const nodeRefs = world.filters.nodeRefs;
    for (const id of dN) {
      const key = `N${id}`;
      const n = this.live.get(id);
      const r = nodeRefs.get(id);
      const e = this.edges.get(id) ?? 0;
      let f: Found | null = null;
      if (n !== undefined) {
        if (r === undefined) f = { kind: 'node-refs', message: `node ${id} (opcode ${n.opcode}) is reachable but has no refcount` };
        else if (r !== e) f = { kind: 'node-refs', message: `node ${id} has refcount ${r} but ${e} owning edge(s)` };
      } else if (r !== undefined) f = { kind: 'node-refs', message: `node ${id} has a refcount but nothing reaches it` };
      if (f) this.standing.set(key, [f]);
      else this.standing.delete(key);
    }
  }

  /** One more owning edge of `s`; a node reached for the first time owns its `next`. */
  private addEdge(s: Slot): void {
    while (isNode(s)) {
      const e = (this.edges.get(s.id) ?? 0) + 1;
      this.edges.set(s.id, e);
      this.dirtyNodes.add(s.id);
      if (e > 1) return;
      this.live.set(s.id, s);
      s = s.next;
    }
  }

  /** One owning edge of `s` less; a node left with none no longer owns its `next`. */
  private removeEdge(s: Slot): void {
    while (isNode(s)) {
      const e = (this.edges.get(s.id) ?? 0) - 1;
      this.dirtyNodes.add(s.id);
      if (e > 0) {
        this.edges.set(s.id, e);
        return;
      }
      this.edges.delete(s.id);
      const n = this.live.get(s.id) ?? s;
      this.live.delete(s.id);
      s = n.next;
    }
  }
}

/** The full check, for comparison (tests) and for callers without a history. */
export { checkInvariants };
