// The model's description of a world (model/world/describe.ts) with the trace's
// names put in: tasks by name, rings by `task:name`, filter nodes by the name of
// the program they run. Read-only: it never changes the world.

import type { Insn } from '../../model/bpf/insn.ts';
import type { World } from '../../model/world/world.ts';
import { describeWorld as modelView, type SetView } from '../../model/world/describe.ts';
import type { TraceNames } from '../trace/replay.ts';
import type { ChainView, RingView, RsView, TableView, TaskView, WorldView } from './world-view.ts';

/** Names programs by their instructions, so filter nodes show the trace's names for them. */
export type ProgramNamer = (insns: readonly Insn[]) => string | undefined;

export function programNamer(programs: Iterable<readonly [string, readonly Insn[]]>): ProgramNamer {
  const byText = new Map<string, string>();
  for (const [name, insns] of programs) {
    const key = JSON.stringify(insns);
    if (!byText.has(key)) byText.set(key, name);
  }
  return (insns) => byText.get(JSON.stringify(insns));
}

export function legacyText(l: NonNullable<SetView['legacy']>): string {
  const parts: string[] = [];
  if (l.opRegistered) {
    parts.push(`sqe ops {${l.sqeOps.join(',')}}`);
    if (l.flagsAllowed !== '0') parts.push(`flags allowed ${l.flagsAllowed}`);
    if (l.flagsRequired !== '0') parts.push(`flags required ${l.flagsRequired}`);
  }
  if (l.regRegistered) parts.push(`register ops {${l.registerOps.join(',')}}`);
  return parts.length ? parts.join(', ') : 'registered, empty';
}

const rsView = (s: SetView): RsView => ({ legacy: s.legacy ? legacyText(s.legacy) : null, table: s.table, cow: s.cow });

/** The world as people read it; `names` are the replayer's live names for tasks and ring fds. */
export function describeWorld(w: World, names: TraceNames, nameProgram: ProgramNamer = () => undefined): WorldView {
  const v = modelView(w);
  const nameOfPid = new Map<number, string>();
  for (const [name, t] of names) nameOfPid.set(t.pid, name);
  const taskName = (pid: number) => nameOfPid.get(pid) ?? `pid ${pid}`;
  // Node labels: the model's, or the trace's program name found by instructions.
  const insnsOf = new Map<number, readonly Insn[]>();
  for (const t of w.filters.tables.values()) {
    for (let s of t.slots) {
      while (s && 'id' in s) { insnsOf.set(s.id, s.insns); s = s.next; }
    }
  }

  const ringNames = new Map<number, string[]>();
  const tasks: TaskView[] = v.tasks.map((t) => {
    const name = taskName(t.pid);
    const named = names.get(name)?.rings;
    const rings = t.fds.filter((f) => f.ring !== undefined).map((f) => {
      const ns = named ? [...named].filter(([, fd]) => fd === f.fd).map(([n]) => n) : [];
      const list = ringNames.get(f.ring!) ?? [];
      for (const n of ns.length ? ns : [`fd${f.fd}`]) list.push(`${name}:${n}`);
      ringNames.set(f.ring!, list);
      return { fd: f.fd, ring: f.ring!, names: ns };
    });
    return { pid: t.pid, name, ppid: t.ppid, parent: t.ppid === null ? null : taskName(t.ppid), uid: t.uid, cap: t.capSysAdmin, nnp: t.noNewPrivs, rings, rs: t.restrictions && rsView(t.restrictions) };
  });

  const holders = new Map<number, string[]>();
  const hold = (table: number | null, who: string) => {
    if (table === null) return;
    const l = holders.get(table);
    if (l) l.push(who);
    else holders.set(table, [who]);
  };
  for (const t of tasks) hold(t.rs?.table ?? null, `task ${t.name}`);
  const rings: RingView[] = v.rings.map((r) => {
    const notes: string[] = [];
    if (r.opRestricted) notes.push('SQEs restricted');
    if (r.regRestricted) notes.push(`register ops restricted${r.regInherited ? ' (inherited)' : ''}`);
    if (r.submitter !== null) notes.push(`submitter ${taskName(r.submitter)}`);
    if (r.filterTable !== r.restrictions.table) notes.push(`submission reads ${r.filterTable === null ? 'no table' : `T${r.filterTable}`}`);
    if (r.pendingSqes) notes.push(`${r.pendingSqes} SQE${r.pendingSqes === 1 ? '' : 's'} queued`);
    if (r.pendingCqes) notes.push(`${r.pendingCqes} CQE${r.pendingCqes === 1 ? '' : 's'} waiting`);
    const nm = ringNames.get(r.id) ?? [];
    hold(r.restrictions.table, `ring R${r.id}${nm.length ? ` (${nm.join(', ')})` : ''}`);
    return { id: r.id, names: nm, flags: r.flags, disabled: r.disabled, rs: rsView(r.restrictions), notes };
  });

  const tables: TableView[] = v.tables.map((t) => ({
    id: t.id,
    refs: t.refs,
    holders: holders.get(t.id) ?? [],
    chains: t.slots.map((s): ChainView => {
      const nodes: ChainView['nodes'] = [];
      let deny = false;
      for (const c of s.chain) {
        if (c === 'DENY') { deny = true; continue; }
        const insns = insnsOf.get(c.node);
        nodes.push({ id: c.node, refs: c.refs, label: c.label || (insns && nameProgram(insns)) || `${c.insns} insns`, insns: c.insns });
      }
      return { opcode: s.op, nodes, deny };
    }),
  }));

  const notes: string[] = [];
  for (const f of v.files) notes.push(`file ${f.path} (mode ${f.mode}, uid ${f.uid})`);
  for (const l of v.leaked) notes.push(`table T${l.table}: ${l.refs} reference${l.refs === 1 ? '' : 's'} leaked (a kernel bug the profile reproduces)`);
  return { tasks, rings, tables, notes };
}
