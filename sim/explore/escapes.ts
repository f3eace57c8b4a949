// Escape search: a move is an escape when a task gets a request (or a register
// call) through on a ring it holds, although the same call on a ring the task
// creates now would be denied. The cause is read from the ring: created by another
// task (an inherited fd), created before the task's restriction, or R_DISABLED.

import { opcodeName } from '../../model/abi/opcodes.ts';
import { registerOpName } from '../../model/abi/register.ts';
import type { CommandBody } from '../trace/ast.ts';
import type { Obs, Step } from './observe.ts';
import type { Issue, Subject } from './subject.ts';
import type { World } from './reference/state.ts';

const PROBE = '__probe';

const allowedCqe = (o: Obs) => o.cqes !== undefined && o.cqes.length > 0 && o.cqes.every(([, r]) => r === 'fd' || r >= 0);
const deniedCqe = (o: Obs) => o.cqes !== undefined && o.cqes.some(([, r]) => r === -13);

export function escapeSubject(base: Subject<World>): Subject<World> {
  const run = (s: World, steps: Step[]): Obs[] => steps.map((st) => { const r = base.apply(s, st); s = r.s; return r.obs; });
  const cause = (w: World, task: string, ringName: string): string => {
    const t = w.tasks.find((x) => x.name === task)!;
    const r = w.rings.get(t.fds.get(ringName)!)!;
    if (r.creator !== task) return 'on a ring fd inherited from another task';
    // Ring creation copies the task's legacy sets by reference and shares its table:
    // anything else means the ring predates the task's current restrictions.
    if (r.rs.legacy !== t.rs!.legacy) return 'on a ring created before the task restricted itself';
    if (r.rs.table === null && t.rs!.table !== null) return "on a ring created before the task's first filter";
    if (r.rs.table !== t.rs!.table) return 'on a ring that kept an older filter table than its creator now has';
    if (r.rDisabled) return 'on an R_DISABLED ring, past the register allow list it inherited';
    return 'on a ring the task created under the same restrictions';
  };
  return {
    ...base,
    name: `escapes(${base.name})`,
    apply(s, step) {
      const out = base.apply(s, step);
      const b = step.body;
      const t = s.tasks.find((x) => x.name === step.task);
      if (!t || t.rs === null || out.obs.unstated) return out;
      const probeRing: Step = { task: step.task, body: { c: 'ring', ring: PROBE, entries: 8, flags: 0 } };
      if (b.c === 'sqe') {
        // What this request does on the ring it was queued on, and on a fresh ring of the task.
        const here = run(s, [step, { task: step.task, body: { c: 'submit', ring: b.ring } }, { task: step.task, body: { c: 'cqes', ring: b.ring } }]);
        if (!allowedCqe(here[2])) return out;
        const fresh = run(s, [probeRing, { task: step.task, body: { ...b, ring: PROBE } }, { task: step.task, body: { c: 'submit', ring: PROBE } }, { task: step.task, body: { c: 'cqes', ring: PROBE } }]);
        if (!deniedCqe(fresh[3])) return out;
        const kind = `escape: ${opcodeName(b.sqe.opcode)} allowed ${cause(s, step.task, b.ring)}`;
        return { ...out, issues: [...(out.issues ?? []), { kind, message: `${kind}; denied on a ring the task creates now` } satisfies Issue] };
      }
      const regRing = b.c === 'register' ? b.ring : b.c === 'bpf' && b.target.kind === 'ring' ? b.target.ring : undefined;
      if (regRing !== undefined && out.obs.ret === 0) {
        const again: CommandBody = b.c === 'register' ? { ...b, ring: PROBE } : { ...(b as Extract<CommandBody, { c: 'bpf' }>), target: { kind: 'ring', ring: PROBE } };
        const fresh = run(s, [probeRing, { task: step.task, body: again }]);
        if (fresh[1].ret !== -13) return out;
        const what = b.c === 'register' ? `register ${registerOpName(b.op)}` : 'ring BPF_FILTER';
        const kind = `escape: ${what} allowed ${cause(s, step.task, regRing)}`;
        return { ...out, issues: [...(out.issues ?? []), { kind, message: `${kind}; -EACCES on a ring the task creates now` }] };
      }
      return out;
    },
  };
}
