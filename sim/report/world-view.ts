// A plain description of the simulated world for people: tasks (by trace name),
// the rings they hold, which filter table each holder points at, refcounts, and
// every filter chain. `explain` renders it as text, Graphviz dot or Mermaid.

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
    out.push(`    ${t.name} (pid ${t.pid}): ${cred};${rings} ${rsText(t.rs)}`);
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

/** A dot string literal; real newlines become dot's `\n` line breaks. */
const q = (s: string) => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') + '"';

/** One Graphviz digraph of the world; `title` labels it. */
export function renderDot(w: WorldView, name: string, title: string): string {
  const out: string[] = [`digraph ${q(name)} {`, `  label=${q(title)}; labelloc=t; rankdir=LR; node [fontname="monospace"];`];
  for (const t of w.tasks) {
    out.push(`  task${t.pid} [shape=box, style=rounded, label=${q(`task ${t.name}\npid ${t.pid}, uid ${t.uid}${t.cap ? ', cap' : ''}${t.nnp ? ', nnp' : ''}${t.rs?.legacy ? `\n${t.rs.legacy}` : ''}`)}];`);
    for (const r of t.rings) out.push(`  task${t.pid} -> ring${r.ring} [label=${q(`${r.names.join('/')} fd ${r.fd}`)}, style=dashed];`);
    if (t.rs?.table != null) out.push(`  task${t.pid} -> table${t.rs.table}${t.rs.cow ? ' [label="cow"]' : ''};`);
  }
  for (const r of w.rings) {
    out.push(`  ring${r.id} [shape=ellipse, label=${q(`ring R${r.id}${r.disabled ? '\ndisabled' : ''}${r.rs.legacy ? `\n${r.rs.legacy}` : ''}`)}];`);
    if (r.rs.table !== null) out.push(`  ring${r.id} -> table${r.rs.table}${r.rs.cow ? ' [label="cow"]' : ''};`);
  }
  let deny = false;
  for (const t of w.tables) {
    out.push(`  table${t.id} [shape=folder, label=${q(`table T${t.id}\nrefs ${t.refs}`)}];`);
    const g = groupDenyOnly(t.chains);
    if (g.denyOnly.length) { out.push(`  table${t.id} -> deny [label=${q(opList(g.denyOnly))}];`); deny = true; }
    for (const c of g.chains) {
      const first = c.nodes[0];
      if (first) out.push(`  table${t.id} -> node${first.id} [label=${q(c.opcode)}];`);
      else { out.push(`  table${t.id} -> deny [label=${q(c.opcode)}];`); deny = true; }
      c.nodes.forEach((n, k) => {
        const next = c.nodes[k + 1];
        if (next) out.push(`  node${n.id} -> node${next.id};`);
        else if (c.deny) { out.push(`  node${n.id} -> deny;`); deny = true; }
      });
    }
  }
  const nodes = new Map<number, ChainNodeView>();
  for (const t of w.tables) for (const c of t.chains) for (const n of c.nodes) nodes.set(n.id, n);
  for (const n of nodes.values()) out.push(`  node${n.id} [shape=box, label=${q(`${n.label} #${n.id}\nrefs ${n.refs}, ${n.insns} insns`)}];`);
  if (deny) out.push('  deny [shape=octagon, label="DENY"];');
  out.push('}');
  return out.join('\n');
}

const mq = (s: string) => '"' + s.replace(/"/g, '#quot;') + '"';

/** One Mermaid flowchart of the world. */
export function renderMermaid(w: WorldView): string {
  const out: string[] = ['flowchart LR'];
  for (const t of w.tasks) {
    out.push(`  task${t.pid}(${mq(`task ${t.name}<br/>pid ${t.pid}, uid ${t.uid}${t.cap ? ', cap' : ''}${t.nnp ? ', nnp' : ''}`)})`);
    for (const r of t.rings) out.push(`  task${t.pid} -.->|${mq(`${r.names.join('/')} fd ${r.fd}`)}| ring${r.ring}`);
    if (t.rs?.table != null) out.push(`  task${t.pid} -->${t.rs.cow ? '|cow|' : ''} table${t.rs.table}`);
  }
  for (const r of w.rings) {
    out.push(`  ring${r.id}([${mq(`ring R${r.id}${r.disabled ? ' (disabled)' : ''}`)}])`);
    if (r.rs.table !== null) out.push(`  ring${r.id} -->${r.rs.cow ? '|cow|' : ''} table${r.rs.table}`);
  }
  let deny = false;
  const nodes = new Map<number, ChainNodeView>();
  for (const t of w.tables) {
    out.push(`  table${t.id}[/${mq(`table T${t.id}, refs ${t.refs}`)}/]`);
    const g = groupDenyOnly(t.chains);
    if (g.denyOnly.length) { out.push(`  table${t.id} -->|${mq(opList(g.denyOnly))}| deny`); deny = true; }
    for (const c of g.chains) {
      const first = c.nodes[0];
      if (first) out.push(`  table${t.id} -->|${c.opcode}| node${first.id}`);
      else { out.push(`  table${t.id} -->|${c.opcode}| deny`); deny = true; }
      c.nodes.forEach((n, k) => {
        nodes.set(n.id, n);
        const next = c.nodes[k + 1];
        if (next) out.push(`  node${n.id} --> node${next.id}`);
        else if (c.deny) { out.push(`  node${n.id} --> deny`); deny = true; }
      });
    }
  }
  for (const n of nodes.values()) out.push(`  node${n.id}[${mq(`${n.label} #${n.id}<br/>refs ${n.refs}`)}]`);
  if (deny) out.push('  deny{{DENY}}');
  return out.join('\n');
}
