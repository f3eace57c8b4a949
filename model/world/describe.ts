// A plain-data view of a World for people and tools (explain, the explorer, test
// failures): every task, ring, filter table and node, with the kernel's names.
// JSON-serialisable except user_data, which is kept as a decimal string.

import { opcodeName, IORING_OP_LAST } from '../abi/opcodes.ts';
import { registerOpName, IORING_REGISTER_LAST } from '../abi/register.ts';
import { SETUP_FLAGS, SQE_FLAGS } from '../abi/flags.ts';
import { bitsOf } from '../restriction/bitmap.ts';
import type { RestrictionSet } from '../restriction/set.ts';
import { isDeny, isNode, type Slot } from '../filter/table.ts';
import type { FdEntry } from '../task/fd.ts';
import type { World } from './world.ts';
import type { Task } from '../task/task.ts';
import type { Ring } from '../ring/ring.ts';

export interface SetView {
  /** Legacy policy, or null when none was registered. */
  legacy: null | {
    sqeOps: string[];
    registerOps: string[];
    flagsAllowed: string;
    flagsRequired: string;
    opRegistered: boolean;
    regRegistered: boolean;
  };
  /** The filter table this set points at (bpf_filters), or null. */
  table: number | null;
  /** bpf_filters_cow. */
  cow: boolean;
}

export interface TaskView {
  pid: number;
  ppid: number | null;
  uid: number;
  capSysAdmin: boolean;
  noNewPrivs: boolean;
  fds: { fd: number; what: string; ring?: number }[];
  restrictions: SetView | null;
}

export interface RingView {
  id: number;
  flags: string[];
  sqEntries: number;
  disabled: boolean;
  submitter: number | null;
  opRestricted: boolean;
  regRestricted: boolean;
  regInherited: boolean;
  restrictions: SetView;
  /** The table submission reads (ctx->bpf_filters). */
  filterTable: number | null;
  fileRefs: number;
  registered: { files: number; personalities: number[] };
  pendingSqes?: number;
  pendingCqes?: number;
}

export type ChainLink = { node: number; refs: number; label: string; insns: number } | 'DENY';

export interface TableView {
  id: number;
  refs: number;
  /** Only the non-empty slots, by opcode. */
  slots: { opcode: number; op: string; chain: ChainLink[] }[];
  /** Who points at this table. */
  holders: string[];
}

export interface WorldView {
  tasks: TaskView[];
  rings: RingView[];
  tables: TableView[];
  /** Files created by the trace. */
  files: { path: string; mode: string; uid: number }[];
  /** Table references leaked by a kernel bug (7.0-merge, §8.18). */
  leaked: { table: number; refs: number }[];
}

function flagNames(table: Record<string, number>, v: number): string[] {
  const out: string[] = [];
  for (const [n, b] of Object.entries(table)) if (v & b) out.push(n);
  return out;
}

export function setView(rs: RestrictionSet): SetView {
  const l = rs.legacy;
  return {
    legacy: l && {
      sqeOps: bitsOf(l.sqeOps, IORING_OP_LAST).map(opcodeName),
      registerOps: bitsOf(l.registerOps, IORING_REGISTER_LAST).map(registerOpName),
      flagsAllowed: flagNames(SQE_FLAGS, l.flagsAllowed).join('|') || '0',
      flagsRequired: flagNames(SQE_FLAGS, l.flagsRequired).join('|') || '0',
      opRegistered: l.opRegistered,
      regRegistered: l.regRegistered,
    },
    table: rs.table,
    cow: rs.cow,
  };
}

function fdWhat(e: FdEntry): string {
  switch (e.kind) {
    case 'ring': return `ring ${e.ring}`;
    case 'socket': return `socket family=${e.family} type=${e.type}`;
    case 'file': return e.path;
  }
}

export function describeChain(world: World, s: Slot): ChainLink[] {
  const out: ChainLink[] = [];
  while (s !== null) {
    if (isDeny(s)) {
      out.push('DENY');
      break;
    }
    if (!isNode(s)) break;
    out.push({ node: s.id, refs: world.filters.nodeRefs.get(s.id) ?? 0, label: s.label, insns: s.insns.length });
    s = s.next;
  }
  return out;
}

/** One task as people read it. */
export function taskView(t: Task): TaskView {
  const fds: TaskView['fds'] = [];
  t.fds.forEach((e, fd) => {
    if (e) fds.push(e.kind === 'ring' ? { fd, what: fdWhat(e), ring: e.ring } : { fd, what: fdWhat(e) });
  });
  return { pid: t.pid, ppid: t.ppid, uid: t.uid, capSysAdmin: t.cap, noNewPrivs: t.nnp, fds, restrictions: t.rs && setView(t.rs) };
}

/** One ring as people read it, with its queues as captured in the world. */
export function ringView(world: World, r: Ring): RingView {
  const q = world.queues?.get(r.id);
  const v: RingView = {
    id: r.id,
    flags: flagNames(SETUP_FLAGS, r.flags),
    sqEntries: r.sqEntries,
    disabled: r.disabled,
    submitter: r.submitter,
    opRestricted: r.opRestricted,
    regRestricted: r.regRestricted,
    regInherited: r.regInherited,
    restrictions: setView(r.rs),
    filterTable: r.filterCache,
    fileRefs: r.fileRefs,
    registered: { files: r.reg.files, personalities: [...r.reg.personalities] },
  };
  if (q) {
    v.pendingSqes = q.sq.length;
    v.pendingCqes = q.cq.length;
  }
  return v;
}

export function describeWorld(world: World): WorldView {
  const holders = new Map<number, string[]>();
  const hold = (table: number | null, who: string) => {
    if (table === null) return;
    const l = holders.get(table) ?? [];
    l.push(who);
    holders.set(table, l);
  };
  const tasks: TaskView[] = [];
  for (const t of world.tasks.values()) {
    tasks.push(taskView(t));
    hold(t.rs?.table ?? null, `task ${t.pid}`);
  }
  const rings: RingView[] = [];
  for (const r of world.rings.values()) {
    rings.push(ringView(world, r));
    hold(r.rs.table, `ring ${r.id}`);
  }
  const tables: TableView[] = [];
  for (const t of world.filters.tables.values()) {
    const slots: TableView['slots'] = [];
    t.slots.forEach((s, opcode) => {
      if (s !== null) slots.push({ opcode, op: opcodeName(opcode), chain: describeChain(world, s) });
    });
    tables.push({ id: t.id, refs: t.refs, slots, holders: holders.get(t.id) ?? [] });
  }
  const files = [...world.fs.nodes]
    .filter(([p]) => !['/', '/dev', '/proc', '/tmp', '/dev/null', '/dev/console', '/init'].includes(p))
    .map(([path, n]) => ({ path, mode: n.mode.toString(8).padStart(4, '0'), uid: n.uid }));
  const leaked = [...world.leaked].map(([table, refs]) => ({ table, refs }));
  return { tasks, rings, tables, files, leaked };
}

/** describeWorld as indented text, one holder or table per block (for explain and reports). */
export function formatWorld(v: WorldView): string {
  const lines: string[] = [];
  const set = (s: SetView | null) => {
    if (!s) return 'no restrictions';
    const parts: string[] = [];
    if (s.legacy) {
      const l = s.legacy;
      if (l.opRegistered) parts.push(`sqe ops {${l.sqeOps.join(',')}} allowed=${l.flagsAllowed} required=${l.flagsRequired}`);
      if (l.regRegistered) parts.push(`register ops {${l.registerOps.join(',')}}`);
    }
    parts.push(s.table === null ? 'no filter table' : `table T${s.table}${s.cow ? ' (cow)' : ''}`);
    return parts.join('; ');
  };
  for (const t of v.tasks) {
    lines.push(`task ${t.pid}${t.ppid !== null ? ` (child of ${t.ppid})` : ''}: uid ${t.uid}${t.capSysAdmin ? ' CAP_SYS_ADMIN' : ''}${t.noNewPrivs ? ' no_new_privs' : ''}; ${set(t.restrictions)}`);
    const rings = t.fds.filter((f) => f.ring !== undefined).map((f) => `fd ${f.fd} -> ring ${f.ring}`);
    if (rings.length) lines.push(`  ${rings.join(', ')}`);
  }
  for (const r of v.rings) {
    const st = [r.disabled ? 'R_DISABLED' : 'enabled', r.opRestricted ? 'OP_RESTRICTED' : '', r.regRestricted ? `REG_RESTRICTED${r.regInherited ? ' (inherited)' : ''}` : '']
      .filter(Boolean).join(' ');
    lines.push(`ring ${r.id}: ${st}; ${set(r.restrictions)}${r.filterTable !== r.restrictions.table ? `; submission reads T${r.filterTable}` : ''}; ${r.fileRefs} fd ref(s)`);
  }
  for (const t of v.tables) {
    lines.push(`table T${t.id}: refs ${t.refs}, held by ${t.holders.join(', ') || 'nobody'}`);
    for (const s of t.slots) {
      const chain = s.chain.map((c) => (c === 'DENY' ? 'DENY' : `N${c.node}${c.label ? `(${c.label})` : ''}[refs ${c.refs}]`)).join(' -> ');
      lines.push(`  ${s.op}: ${chain}`);
    }
  }
  for (const l of v.leaked) lines.push(`leaked: ${l.refs} reference(s) to T${l.table}`);
  return lines.join('\n');
}
