// What a step changed in the world: tasks, rings, filter tables and filter nodes
// added, removed or changed, field by field. A pure function of two world values:
// the persistent maps are compared by identity (IntMap.changedKeys), so the cost
// follows what the step touched, not the size of the world. `explain` prints it
// after every step; the playground highlights the same ids in its diagram.

import { opcodeName } from '../../model/abi/opcodes.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { isDeny, isNode, type FilterTable, type Slot } from '../../model/filter/table.ts';
import type { Ring } from '../../model/ring/ring.ts';
import type { Task } from '../../model/task/task.ts';
import { ringView, setView } from '../../model/world/describe.ts';
import type { World } from '../../model/world/world.ts';
import { legacyText } from './describe.ts';

export type EntityKind = 'task' | 'ring' | 'table' | 'node';

/** One field of an entity before and after the step (null: the entity did not exist). */
export interface FieldChange {
  field: string;
  before: string | null;
  after: string | null;
}

export interface EntityChange {
  /** Stable across steps and outputs: `task:3`, `ring:1`, `table:2`, `node:5` (the diagram's ids). */
  id: string;
  kind: EntityKind;
  change: 'added' | 'removed' | 'changed';
  /** How the trace names it: `task c`, `ring init:r`, `table T2`, `filter #5 allow_nop`. */
  name: string;
  /** Every field for added and removed entities; only the differing ones for changed entities. */
  fields: FieldChange[];
}

export interface WorldDelta {
  changes: EntityChange[];
}

/** The trace's names as the delta needs them; each is called only for entities the step touched. */
export interface DeltaNames {
  task(pid: number): string;
  /** `init:r`, or undefined when the ring has no name (yet). */
  ring(id: number): string | undefined;
  program(insns: readonly Insn[]): string | undefined;
}

type Flat = Map<string, string>;

const tableRef = (t: number | null) => (t === null ? 'none' : `T${t}`);

function taskFields(t: Task, names: DeltaNames): Flat {
  const f: Flat = new Map();
  f.set('pid', String(t.pid));
  f.set('parent', t.ppid === null ? 'none' : names.task(t.ppid));
  f.set('uid', String(t.uid));
  f.set('CAP_SYS_ADMIN', t.cap ? 'yes' : 'no');
  f.set('no_new_privs', t.nnp ? 'yes' : 'no');
  const rings: string[] = [];
  t.fds.forEach((e, fd) => {
    if (e?.kind === 'ring') rings.push(`fd ${fd} -> ${ringName(e.ring, names)}`);
  });
  f.set('rings', rings.length ? rings.join(', ') : 'none');
  const rs = t.rs && setView(t.rs);
  f.set('legacy', rs?.legacy ? legacyText(rs.legacy) : 'none');
  f.set('table', tableRef(rs?.table ?? null));
  f.set('cow', rs?.cow ? 'yes' : 'no');
  return f;
}

const ringName = (id: number, names: DeltaNames) => {
  const n = names.ring(id);
  return n ? `R${id} (${n})` : `R${id}`;
};

function ringFields(r: Ring, w: World, names: DeltaNames): Flat {
  const v = ringView(w, r);
  const f: Flat = new Map();
  f.set('flags', v.flags.length ? v.flags.join('|') : 'none');
  f.set('disabled', v.disabled ? 'yes' : 'no');
  f.set('legacy', v.restrictions.legacy ? legacyText(v.restrictions.legacy) : 'none');
  f.set('table', tableRef(v.restrictions.table));
  f.set('cow', v.restrictions.cow ? 'yes' : 'no');
  if (v.filterTable !== v.restrictions.table) f.set('submission reads', tableRef(v.filterTable));
  f.set('restricted', [v.opRestricted ? 'SQEs' : '', v.regRestricted ? `register ops${v.regInherited ? ' (inherited)' : ''}` : ''].filter(Boolean).join(', ') || 'no');
  f.set('submitter', v.submitter === null ? 'none' : names.task(v.submitter));
  f.set('fd references', String(v.fileRefs));
  f.set('queued SQEs', String(v.pendingSqes ?? 0));
  f.set('waiting CQEs', String(v.pendingCqes ?? 0));
  return f;
}

/** A node as `#5 allow_nop` (the trace's program name when known). */
export function nodeName(s: { id: number; label: string; insns: readonly Insn[] }, names: DeltaNames): string {
  const label = s.label || names.program(s.insns);
  return `#${s.id}${label ? ' ' + label : ''}`;
}

function chainText(s: Slot, names: DeltaNames): string {
  const out: string[] = [];
  while (s !== null) {
    if (isDeny(s)) { out.push('DENY'); break; }
    if (!isNode(s)) break;
    out.push(nodeName(s, names));
    s = s.next;
  }
  return out.join(' -> ');
}

function tableFields(t: FilterTable, names: DeltaNames): Flat {
  const f: Flat = new Map();
  f.set('refs', String(t.refs));
  // Slots DENY_REST filled with DENY alone are one field, not one per opcode.
  const denyOnly: string[] = [];
  t.slots.forEach((s, op) => {
    if (s === null) return;
    if (isDeny(s)) denyOnly.push(opcodeName(op));
    else f.set(`chain ${opcodeName(op)}`, chainText(s, names));
  });
  if (denyOnly.length) f.set('DENY only', denyOnly.length <= 6 ? denyOnly.join(', ') : `${denyOnly.length} opcodes`);
  return f;
}

function compare(before: Flat | null, after: Flat | null): FieldChange[] {
  const out: FieldChange[] = [];
  if (!before || !after) {
    for (const [k, v] of (before ?? after)!) out.push({ field: k, before: before ? v : null, after: after ? v : null });
    return out;
  }
  const keys = new Set([...before.keys(), ...after.keys()]);
  for (const k of keys) {
    const a = before.get(k) ?? null, b = after.get(k) ?? null;
    if (a !== b) out.push({ field: k, before: a, after: b });
  }
  return out;
}

function entity(kind: EntityKind, key: number, name: string, before: Flat | null, after: Flat | null): EntityChange | null {
  if (!before && !after) return null;
  const fields = compare(before, after);
  if (before && after && fields.length === 0) return null;
  return { id: `${kind}:${key}`, kind, change: !before ? 'added' : !after ? 'removed' : 'changed', name, fields };
}

/** Nodes reachable from the tables `ids` of world w, by id (to name nodes whose refcount changed). */
function nodesOf(w: World, ids: readonly number[], into: Map<number, { id: number; label: string; insns: readonly Insn[] }>): void {
  for (const id of ids) {
    const t = w.filters.tables.get(id);
    t?.slots.forEach((s) => {
      while (s !== null && isNode(s)) {
        if (!into.has(s.id)) into.set(s.id, s);
        s = s.next;
      }
    });
  }
}

/** What changed from `prev` to `next`: entities in the order tasks, rings, tables, nodes, each by id. */
export function worldDelta(prev: World, next: World, names: DeltaNames): WorldDelta {
  const changes: EntityChange[] = [];
  const push = (c: EntityChange | null) => { if (c) changes.push(c); };

  prev.tasks.changedKeys(next.tasks, (pid) => {
    const a = prev.tasks.get(pid), b = next.tasks.get(pid);
    push(entity('task', pid, `task ${names.task(pid)}`, a ? taskFields(a, names) : null, b ? taskFields(b, names) : null));
  });

  // A ring's queues live beside it; a ring whose queue object changed is compared too.
  const ringIds = new Set<number>();
  prev.rings.changedKeys(next.rings, (id) => ringIds.add(id));
  if (prev.queues !== next.queues) {
    const pq = prev.queues, nq = next.queues;
    if (pq && nq) pq.changedKeys(nq, (id) => ringIds.add(id));
    else for (const q of [pq, nq]) q?.forEach((_, id) => ringIds.add(id));
  }
  for (const id of [...ringIds].sort((x, y) => x - y)) {
    const a = prev.rings.get(id), b = next.rings.get(id);
    push(entity('ring', id, `ring ${ringName(id, names)}`, a ? ringFields(a, prev, names) : null, b ? ringFields(b, next, names) : null));
  }

  const tableIds: number[] = [];
  prev.filters.tables.changedKeys(next.filters.tables, (id) => tableIds.push(id));
  for (const id of tableIds) {
    const a = prev.filters.tables.get(id), b = next.filters.tables.get(id);
    push(entity('table', id, `table T${id}`, a ? tableFields(a, names) : null, b ? tableFields(b, names) : null));
  }

  const nodeIds: number[] = [];
  prev.filters.nodeRefs.changedKeys(next.filters.nodeRefs, (id) => nodeIds.push(id));
  if (nodeIds.length) {
    const known = new Map<number, { id: number; label: string; insns: readonly Insn[] }>();
    nodesOf(next, tableIds, known);
    nodesOf(prev, tableIds, known);
    for (const id of nodeIds) {
      const a = prev.filters.nodeRefs.get(id), b = next.filters.nodeRefs.get(id);
      const n = known.get(id);
      const flat = (refs: number | undefined): Flat | null => (refs === undefined ? null : new Map([['refs', String(refs)]]));
      push(entity('node', id, `filter ${n ? nodeName(n, names) : `#${id}`}`, flat(a), flat(b)));
    }
  }
  return { changes };
}

/** The ids a delta touched (the diagram highlights them). */
export function changedIds(d: WorldDelta): Set<string> {
  return new Set(d.changes.map((c) => c.id));
}

/** The delta as indented lines: `+ task c: ...`, `- ring R1`, `~ table T1: refs 1 -> 2`. */
export function renderDelta(d: WorldDelta): string {
  if (d.changes.length === 0) return '  (no change to tasks, rings or filter tables)';
  const out: string[] = [];
  for (const c of d.changes) {
    if (c.change === 'changed') {
      out.push(`  ~ ${c.name}: ${c.fields.map((f) => `${f.field} ${f.before ?? '-'} -> ${f.after ?? '-'}`).join('; ')}`);
    } else {
      const vals = c.fields.filter((f) => !isDefault(f.field, (c.change === 'added' ? f.after : f.before)!));
      const sign = c.change === 'added' ? '+' : '-';
      out.push(`  ${sign} ${c.name}${c.change === 'removed' ? ' removed' : ''}${vals.length ? ': ' + vals.map((f) => `${f.field} ${c.change === 'added' ? f.after : f.before}`).join('; ') : ''}`);
    }
  }
  return out.join('\n');
}

/** Fields not worth repeating when an entity appears (their everyday value). */
function isDefault(field: string, v: string): boolean {
  if (field === 'pid') return true;
  if (v === 'none' || v === 'no') return field !== 'table';
  return (field === 'queued SQEs' || field === 'waiting CQEs') && v === '0';
}
