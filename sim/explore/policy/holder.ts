// Finding a holder's restrictions at a point of a trace: the trace is replayed in
// the reference model up to the step, then the task's or ring's legacy sets and
// filter table are read from its world.

import type { KernelProfile } from '../../../model/profile/profiles.ts';
import { rfError, type Result } from '../../../model/errors.ts';
import type { Trace } from '../../trace/ast.ts';
import { replayReference } from '../reference/replay.ts';
import { NO_LEGACY, tableSlots, type Table, type World } from '../reference/state.ts';

const slotsOf = (t: Table | undefined) => (t ? tableSlots(t) : null);
import type { HolderPolicy } from './policy.ts';

export interface HolderAt {
  description: string;
  notes: string[];
  policy: HolderPolicy;
}

export function holderAt(trace: Trace, p: KernelProfile, who: { task: string; ring?: string }, at?: number): Result<HolderAt> {
  const n = trace.commands.length;
  if (at !== undefined && (at < 0 || at >= n)) {
    return { ok: false, error: rfError('usage', `--at ${at} is outside trace ${trace.name}, whose commands are numbered 0..${n - 1}`) };
  }
  const { obs, worlds } = replayReference(trace, p);
  const idx = at ?? n - 1;
  const w: World | undefined = idx >= 0 ? worlds[idx] : undefined;
  const notes: string[] = [];
  const unstated = obs.slice(0, idx + 1).map((o, i) => (o.unstated ? i : -1)).filter((i) => i >= 0 && obs[i].c !== 'sqe' && obs[i].c !== 'submit' && obs[i].c !== 'cqes');
  if (unstated.length) notes.push(`the reference model does not state the outcome of command(s) ${unstated.join(', ')}; the policy assumes they changed nothing`);
  const when = idx >= 0 ? `after command ${idx} (${trace.commands[idx].text})` : 'at the start';
  const task = w?.tasks.find((t) => t.name === who.task);
  if (who.task !== 'init' && !task) return { ok: false, error: rfError('usage', `no task '${who.task}' in trace ${trace.name} ${when}`) };
  if (task && !task.alive) notes.push(`task ${who.task} has exited`);
  const tables = w?.tables ?? new Map();
  if (who.ring !== undefined) {
    const id = task?.fds.get(who.ring);
    if (id === undefined) return { ok: false, error: rfError('usage', `task ${who.task} holds no ring '${who.ring}' ${when}`) };
    const r = w!.rings.get(id)!;
    if (r.rDisabled) notes.push('the ring is still R_DISABLED: no SQE can be submitted until it is enabled');
    if (p.legacy === 'pre-7.0' && r.registered && !r.armed) notes.push('its legacy restrictions are armed only by ENABLE_RINGS');
    const legacyActive = p.legacy === 'pre-7.0' ? r.armed || r.registered : r.opRestricted;
    return {
      ok: true,
      value: {
        description: `ring ${who.ring} of task ${who.task} ${when}`,
        notes,
        policy: { legacyActive, legacy: r.rs.legacy, chains: r.rs.table === null ? null : slotsOf(tables.get(r.rs.table)) },
      },
    };
  }
  notes.unshift('a task policy applies to the rings this task creates from now on; rings it already holds keep their own');
  if (task) {
    for (const [name, id] of task.fds) {
      const r = w!.rings.get(id)!;
      const restricted = r.opRestricted || r.armed || r.rs.table !== null;
      if (!restricted) notes.push(`it already holds ring ${name}, which has no SQE restrictions and no filters`);
    }
  }
  const rs = task?.rs ?? null;
  return {
    ok: true,
    value: {
      description: `task ${who.task} ${when}`,
      notes,
      policy: {
        legacyActive: rs !== null && rs.legacy.opReg,
        legacy: rs?.legacy ?? NO_LEGACY,
        chains: rs === null || rs.table === null ? null : slotsOf(tables.get(rs.table)),
      },
    },
  };
}
