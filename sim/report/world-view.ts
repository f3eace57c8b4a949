// A plain description of the simulated world for people: tasks (by trace name),
// the rings they hold, which filter table each holder points at, refcounts, and
// every filter chain. `explain` renders it as text; the diagrams (DOT, Mermaid,
// SVG) are drawn from its graph (graph.ts, render.ts).

export interface RsView {
  /** The legacy policy in a few words, or null when none was registered. */
  legacy: string | null;
  /** The filter table this holder points at, or null. */
  table: number | null;
  /** The holder must copy the table before its next own registration. */
  cow: boolean;
}

export interface TaskView {
  pid: number;
  /** The trace's name for the task. */
  name: string;
  /** The parent's pid and name (null for init). */
  ppid: number | null;
  parent: string | null;
  uid: number;
  cap: boolean;
  nnp: boolean;
  /** Ring fds the task holds, with the trace's names for them. */
  rings: { fd: number; ring: number; names: string[] }[];
  rs: RsView | null;
}

export interface RingView {
  id: number;
  /** How the trace names it: `init:r`, `c:r`. */
  names: string[];
  /** Setup flags by name. */
  flags: string[];
  disabled: boolean;
  rs: RsView;
  /** One-line notes (restricted classes, SINGLE_ISSUER submitter, queued SQEs...). */
  notes: string[];
}

export interface ChainNodeView {
  id: number;
  refs: number;
  /** The program's name in the trace, or a short description. */
  label: string;
  insns: number;
}

export interface ChainView {
  opcode: string;
  nodes: ChainNodeView[];
  /** The chain ends in the DENY sentinel (DENY_REST). */
  deny: boolean;
}

export interface TableView {
  id: number;
  refs: number;
  /** Who points at it: `task init`, `ring init:r`. */
  holders: string[];
  /** Only the opcodes whose slot is not empty. */
  chains: ChainView[];
}

export interface WorldView {
  tasks: TaskView[];
  rings: RingView[];
  tables: TableView[];
  /** Anything else worth saying (leaked references, ...). */
  notes: string[];
}

const rsText = (rs: RsView | null): string => {
  if (!rs) return 'no restrictions';
  const parts: string[] = [];
  parts.push(rs.legacy ? `legacy ${rs.legacy}` : 'no legacy policy');
  parts.push(rs.table === null ? 'no filter table' : `table T${rs.table}${rs.cow ? ' (cow)' : ''}`);
  return parts.join(', ');
};

const chainText = (c: ChainView): string =>
  [...c.nodes.map((n) => `[#${n.id} ${n.label}, refs ${n.refs}]`), ...(c.deny ? ['DENY'] : [])].join(' -> ');

/** Slots DENY_REST filled (DENY and nothing else) are shown together, not one line each. */
export function groupDenyOnly(chains: ChainView[]): { chains: ChainView[]; denyOnly: string[] } {
  const denyOnly = chains.filter((c) => c.deny && c.nodes.length === 0).map((c) => c.opcode);
  return { chains: chains.filter((c) => !(c.deny && c.nodes.length === 0)), denyOnly };
}

const opList = (ops: string[]) => (ops.length <= 6 ? ops.join(', ') : `${ops.length} opcodes: ${ops.slice(0, 3).join(', ')}, ..., ${ops[ops.length - 1]}`);

/** The world as indented text. */
export function renderText(w: WorldView): string {
  const out: string[] = [];
  out.push('  tasks:');
  for (const t of w.tasks) {
    const cred = `uid ${t.uid}${t.cap ? ' CAP_SYS_ADMIN' : ''}${t.nnp ? ' no_new_privs' : ''}`;
    const rings = t.rings.length ? ` rings ${t.rings.map((r) => `${r.names.join('/') || '?'}=fd ${r.fd}`).join(', ')};` : '';
    out.push(`    ${t.name} (pid ${t.pid}${t.parent ? `, child of ${t.parent}` : ''}): ${cred};${rings} ${rsText(t.rs)}`);
  }
  if (w.rings.length) {
    out.push('  rings:');
    for (const r of w.rings) {
      const fl = r.flags.length ? ` [${r.flags.join('|')}]` : '';
      const st = r.disabled ? ' disabled' : '';
      const notes = r.notes.length ? `; ${r.notes.join('; ')}` : '';
      out.push(`    R${r.id} ${r.names.join(', ') || '(no fd)'}${fl}${st}: ${rsText(r.rs)}${notes}`);
    }
  }
  if (w.tables.length) {
    out.push('  filter tables:');
    for (const t of w.tables) {
      out.push(`    T${t.id} refs ${t.refs}, held by ${t.holders.join(', ') || 'nobody'}`);
      if (t.chains.length === 0) out.push('      (empty)');
      const g = groupDenyOnly(t.chains);
      for (const c of g.chains) out.push(`      ${c.opcode}: ${chainText(c)}`);
      if (g.denyOnly.length) out.push(`      ${opList(g.denyOnly)}: DENY`);
    }
  }
  for (const n of w.notes) out.push(`  note: ${n}`);
  return out.join('\n');
}

