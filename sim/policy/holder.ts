// The holder `compile --onto TRACE` adds to: the trace is replayed on the simulator
// for one kernel profile, and the task's restriction set (for the rings it creates
// from then on) or one ring's is read from the world at the end (or after command
// --at): its filter chains, newest first, and the legacy checks in force.

import { rfError, type RfError, type Result, type SourceLoc } from '../../model/errors.ts';
import { bitsOf } from '../../model/restriction/bitmap.ts';
import type { LegacyPolicy } from '../../model/restriction/legacy.ts';
import { DENY, isNode, type Slot } from '../../model/filter/table.ts';
import { opLastFor, registerOpLastFor, type KernelProfile } from '../../model/profile/profiles.ts';
import type { Chain, Existing, HolderLegacy } from '../../model/policy/onto.ts';
import type { World } from '../../model/world/world.ts';
import type { Trace } from '../trace/ast.ts';
import { replayTrace, type TraceNames } from '../trace/replay.ts';
import { replayOptions } from '../trace/kernel-link.ts';
import { INIT_TASK } from '../trace/parse.ts';

/** Who holds: a task (its set binds the rings it creates later), or one of a task's rings. */
export interface Who { task: string; ring?: string }

export interface HolderState extends Existing {
  /** `ring r of task init after command 7 (...)`, for reports. */
  description: string;
  /** The ring is still R_DISABLED (the emitted trace enables it before probing). */
  ringDisabled: boolean;
  /** The task that registers (a task holder, or the ring's owner) and the ring's name. */
  task: string;
  ring?: string;
}

function chainOf(s: Slot): Chain {
  const out: ('DENY' | readonly import('../../model/bpf/insn.ts').Insn[])[] = [];
  while (isNode(s)) { out.push(s.insns); s = s.next; }
  if (s === DENY) out.push('DENY');
  return out;
}

function legacyOf(l: LegacyPolicy | null, sqe: boolean, reg: boolean, k: KernelProfile): HolderLegacy {
  return {
    sqe: l && sqe ? { ops: bitsOf(l.sqeOps, opLastFor(k)), allowed: l.flagsAllowed, required: l.flagsRequired } : null,
    registerOps: l && reg ? bitsOf(l.registerOps, registerOpLastFor(k)) : null,
  };
}

/**
 * The ring a `--ring` value names: `R` (a ring of init, or of the one task holding a
 * ring of that name) or `TASK:R`.
 */
function findRing(names: TraceNames, spec: string): { task: string; ring: string } | string {
  const colon = spec.indexOf(':');
  if (colon >= 0) return { task: spec.slice(0, colon), ring: spec.slice(colon + 1) };
  if (names.get(INIT_TASK)?.rings.has(spec)) return { task: INIT_TASK, ring: spec };
  const holders = [...names].filter(([, t]) => t.rings.has(spec)).map(([n]) => n);
  if (holders.length === 1) return { task: holders[0], ring: spec };
  if (holders.length > 1) return `tasks ${holders.join(', ')} each hold a ring named '${spec}': say which with --ring TASK:${spec}`;
  return { task: INIT_TASK, ring: spec };
}

/** Replay `trace` on `k` and read the holder; a located error when the trace does not replay or names nothing. */
export function holderFromTrace(trace: Trace, k: KernelProfile, who: { task?: string; ring?: string }, at?: number): Result<HolderState, RfError> {
  const n = trace.commands.length;
  const where: SourceLoc = trace.loc;
  if (at !== undefined && at >= n) return { ok: false, error: rfError('range', `--at ${at} is outside trace ${trace.name}, whose commands are numbered 0..${n - 1}`, where, `a command index from 0 to ${n - 1}`) };
  let world: World | undefined;
  let names: TraceNames | undefined;
  const snap = (w: World, ns: TraceNames) => {
    world = w;
    names = new Map([...ns].map(([t, x]) => [t, { pid: x.pid, rings: new Map(x.rings) }]));
  };
  const last = at ?? n - 1;
  const opts = { ...replayOptions({ invariants: false }) };
  opts.onStep = (cmd, _rec, kernel, ns) => { if (cmd.i === last) snap(kernel.world as World, ns); };
  const run = replayTrace(trace, k, opts);
  if (run.error) return { ok: false, error: { ...run.error, message: `trace ${trace.name} does not replay on ${k.name}: ${run.error.message}` } };
  if (run.failure && run.failure.command.i <= last) {
    const f = run.failure;
    return { ok: false, error: rfError('invalid', `trace ${trace.name} does not replay on ${k.name}: expected ${f.expected}, got ${f.actual}; --onto takes a holder from a trace that passes`, f.command.loc, `a trace that passes on ${k.name} (ringfence replay --kernel ${k.name})`) };
  }
  if (!world || !names) {
    // An empty trace: the holder is init, fresh.
    if (who.ring !== undefined || (who.task ?? INIT_TASK) !== INIT_TASK) return { ok: false, error: rfError('name', `trace ${trace.name} has no commands, so no ${who.ring !== undefined ? `ring '${who.ring}'` : `task '${who.task}'`}`, where, 'a trace that makes the holder') };
    return { ok: true, value: { profile: k, slots: Array.from({ length: opLastFor(k) }, () => []), legacy: { sqe: null, registerOps: null }, legacyRefused: null, description: `task ${who.task ?? INIT_TASK} at the start of trace ${trace.name}`, ringDisabled: false, task: who.task ?? INIT_TASK } };
  }
  const when = `after command ${last} (${trace.commands[last].text.trim()})`;
  const tableSlots = (id: number | null) => {
    const t = id === null ? undefined : world!.filters.tables.get(id);
    return Array.from({ length: opLastFor(k) }, (_, op) => (t ? chainOf(t.slots.at(op)) : []));
  };
  const taskNames = [...names.keys()].join(', ');
  if (who.ring !== undefined) {
    const r = findRing(names, who.ring);
    if (typeof r === 'string') return { ok: false, error: rfError('name', r, where, '--ring TASK:R') };
    const t = names.get(r.task);
    if (!t) return { ok: false, error: rfError('name', `trace ${trace.name} has no task '${r.task}' ${when} (tasks: ${taskNames})`, where, `one of ${taskNames}`) };
    const fd = t.rings.get(r.ring);
    const ringNames = [...t.rings.keys()].join(', ') || 'none';
    const entry = fd === undefined ? undefined : world.tasks.get(t.pid)?.fds[fd];
    if (!entry || entry.kind !== 'ring') return { ok: false, error: rfError('name', `task ${r.task} holds no ring '${r.ring}' ${when} in trace ${trace.name} (its rings: ${ringNames})`, where, `one of ${ringNames}`) };
    const ring = world.rings.get(entry.ring)!;
    const l = ring.rs.legacy;
    const refused = ring.opRestricted || ring.regRestricted || l?.opRegistered || l?.regRegistered
      ? 'the ring already carries legacy restrictions (a second registration is -EBUSY, kernel-semantics.md §2.2)'
      : !ring.disabled ? 'the ring is enabled (legacy restrictions need an R_DISABLED ring: -EBADFD, §2.2)' : null;
    return {
      ok: true,
      value: {
        profile: k, slots: tableSlots(ring.rs.table), legacy: legacyOf(l, ring.opRestricted, ring.regRestricted, k), legacyRefused: refused,
        description: `ring ${r.ring} of task ${r.task} ${when}`, ringDisabled: ring.disabled, task: r.task, ring: r.ring,
      },
    };
  }
  const name = who.task ?? INIT_TASK;
  const t = names.get(name);
  const task = t && world.tasks.get(t.pid);
  if (!t || !task) return { ok: false, error: rfError('name', `trace ${trace.name} has no task '${name}' ${when} (tasks: ${taskNames})`, where, `one of ${taskNames}`) };
  const rs = task.rs;
  const l = rs?.legacy ?? null;
  return {
    ok: true,
    value: {
      profile: k, slots: tableSlots(rs?.table ?? null),
      // A ring the task creates gets OP_RESTRICTED / REG_RESTRICTED from what was registered (§7.2).
      legacy: legacyOf(l, !!l?.opRegistered, !!l?.regRegistered, k),
      legacyRefused: rs ? 'the task already has a restriction set (task legacy restrictions are once per lineage: -EPERM, kernel-semantics.md §8.11)' : null,
      description: `task ${name} ${when} (for the rings it creates from then on)`, ringDisabled: false, task: name,
    },
  };
}
