// The state diagram as data: boxes (tasks, rings, filter tables, filter nodes,
// DENY) and arrows (parent, holds ring, points at table, chain links), each with a
// stable id, the trace's names, and marks (changed by the last step, shared, COW).
// DOT, Mermaid, SVG, `explain --json` and the playground all draw from this one value.

import { groupDenyOnly, type ChainNodeView, type WorldView } from './world-view.ts';

export type BoxKind = 'task' | 'ring' | 'table' | 'node' | 'deny';
export type Mark = 'changed' | 'shared' | 'cow';

export interface Box {
  /** `task:3`, `ring:1`, `table:2`, `node:5`, `deny`: the delta's ids. */
  id: string;
  kind: BoxKind;
  /** First line: `task c`, `ring init:r`, `table T2`, `allow_nop #5`. */
  title: string;
  /** Further lines: pid and credentials, refs, legacy policy... */
  lines: string[];
  /** The reference count shown (tables and filter nodes). */
  refs?: number;
  marks: Mark[];
}

export type ArrowKind = 'parent' | 'fd' | 'table' | 'chain';

export interface Arrow {
  id: string;
  from: string;
  to: string;
  kind: ArrowKind;
  label: string;
  marks: Mark[];
}

export interface Diagram {
  boxes: Box[];
  arrows: Arrow[];
}

/** What each mark means (the legend every output carries). */
export const LEGEND: readonly { mark: Mark | ArrowKind | BoxKind; text: string }[] = [
  { mark: 'task', text: 'task (the trace\'s name, pid, credentials)' },
  { mark: 'ring', text: 'io_uring instance' },
  { mark: 'table', text: 'filter table with its reference count' },
  { mark: 'node', text: 'filter (cBPF program) in a chain, with its reference count' },
  { mark: 'parent', text: 'dotted arrow: forked from' },
  { mark: 'fd', text: 'dashed arrow: holds the ring through an fd' },
  { mark: 'table', text: 'solid arrow: restrictions point at the table' },
  { mark: 'cow', text: 'COW: the holder copies the table before its next own registration' },
  { mark: 'shared', text: 'shared: more than one reference (double border)' },
  { mark: 'changed', text: 'changed by the selected step (highlighted)' },
];

/** The diagram of a world; `changed` holds the ids the last step touched (worldDelta). */
export function worldDiagram(w: WorldView, changed: ReadonlySet<string> = new Set()): Diagram {
  const boxes: Box[] = [];
  const arrows: Arrow[] = [];
  const marks = (id: string, ...extra: (Mark | false)[]): Mark[] => [
    ...(changed.has(id) ? (['changed'] as Mark[]) : []),
    ...(extra.filter(Boolean) as Mark[]),
  ];
  const pidSeen = new Set(w.tasks.map((t) => t.pid));
  for (const t of w.tasks) {
    const id = `task:${t.pid}`;
    const cred = `pid ${t.pid}, uid ${t.uid}${t.cap ? ', cap' : ''}${t.nnp ? ', nnp' : ''}`;
    boxes.push({ id, kind: 'task', title: `task ${t.name}`, lines: [cred, ...(t.rs?.legacy ? [t.rs.legacy] : [])], marks: marks(id) });
    if (t.ppid !== null && pidSeen.has(t.ppid)) {
      arrows.push({ id: `${id}/parent`, from: `task:${t.ppid}`, to: id, kind: 'parent', label: 'fork', marks: marks(id) });
    }
    for (const r of t.rings) {
      arrows.push({ id: `${id}/fd${r.fd}`, from: id, to: `ring:${r.ring}`, kind: 'fd', label: `${r.names.join('/') || 'fd'} (fd ${r.fd})`, marks: marks(id) });
    }
    if (t.rs?.table != null) {
      arrows.push({ id: `${id}/table`, from: id, to: `table:${t.rs.table}`, kind: 'table', label: t.rs.cow ? 'COW' : '', marks: marks(id, t.rs.cow && 'cow') });
    }
  }
  for (const r of w.rings) {
    const id = `ring:${r.id}`;
    const lines = [
      ...(r.flags.length ? [r.flags.join('|')] : []),
      ...(r.disabled ? ['disabled'] : []),
      ...(r.rs.legacy ? [r.rs.legacy] : []),
      ...r.notes,
    ];
    boxes.push({ id, kind: 'ring', title: `ring ${r.names[0] ?? `R${r.id}`}`, lines: [`R${r.id}`, ...lines], marks: marks(id) });
    if (r.rs.table !== null) {
      arrows.push({ id: `${id}/table`, from: id, to: `table:${r.rs.table}`, kind: 'table', label: r.rs.cow ? 'COW' : '', marks: marks(id, r.rs.cow && 'cow') });
    }
  }
  const nodes = new Map<number, ChainNodeView>();
  let deny = false;
  for (const t of w.tables) {
    const id = `table:${t.id}`;
    boxes.push({ id, kind: 'table', title: `table T${t.id}`, lines: [`refs ${t.refs}`], refs: t.refs, marks: marks(id, t.refs > 1 && 'shared') });
    const g = groupDenyOnly(t.chains);
    if (g.denyOnly.length) {
      deny = true;
      arrows.push({ id: `${id}/deny`, from: id, to: 'deny', kind: 'chain', label: g.denyOnly.length <= 3 ? g.denyOnly.join(', ') : `${g.denyOnly.length} opcodes`, marks: marks(id) });
    }
    for (const c of g.chains) {
      const first = c.nodes[0];
      arrows.push({ id: `${id}/${c.opcode}`, from: id, to: first ? `node:${first.id}` : 'deny', kind: 'chain', label: c.opcode, marks: marks(id) });
      c.nodes.forEach((n, k) => {
        nodes.set(n.id, n);
        const next = c.nodes[k + 1];
        if (next) arrows.push({ id: `node:${n.id}/node:${next.id}`, from: `node:${n.id}`, to: `node:${next.id}`, kind: 'chain', label: '', marks: [] });
        else if (c.deny) { deny = true; arrows.push({ id: `node:${n.id}/deny`, from: `node:${n.id}`, to: 'deny', kind: 'chain', label: '', marks: [] }); }
      });
      if (!first) deny = true;
    }
  }
  for (const n of nodes.values()) {
    const id = `node:${n.id}`;
    boxes.push({ id, kind: 'node', title: `${n.label} #${n.id}`, lines: [`refs ${n.refs}, ${n.insns} insns`], refs: n.refs, marks: marks(id, n.refs > 1 && 'shared') });
  }
  if (deny) boxes.push({ id: 'deny', kind: 'deny', title: 'DENY', lines: [], marks: [] });
  // Chain links can repeat when tables share nodes: one arrow each.
  const seen = new Set<string>();
  return { boxes, arrows: arrows.filter((a) => (seen.has(a.id) ? false : (seen.add(a.id), true))) };
}
