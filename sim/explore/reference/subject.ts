// The reference model as an exploration subject, with the invariants that its own
// statement promises (the shape of chains, tables and flags).

import type { KernelProfile } from '../../../model/profile/profiles.ts';
import type { Subject } from '../subject.ts';
import { canonKey } from './canon.ts';
import { Reference, type RefOptions } from './model.ts';
import { initialWorld, type Holder, type Task, type World } from './state.ts';
import type { Shape } from '../universe.ts';

export function referenceSubject(profile: KernelProfile, opts: RefOptions = {}): Subject<World> {
  const ref = new Reference(profile, opts);
  const shapes = new WeakMap<readonly Task[], Shape>();
  return {
    name: `reference(${profile.name})`,
    init: initialWorld,
    apply(s, step) {
      const r = ref.apply(s, step);
      return { s: r.world, obs: r.obs };
    },
    encode: (w, out) => out.text(canonKey(w)),
    shape(w) {
      // Many moves (io) leave the task list untouched: one shape per task list.
      let sh = shapes.get(w.tasks);
      if (!sh) {
        sh = { tasks: w.tasks.map((t) => ({ name: t.name, alive: t.alive, uid: t.uid, rings: [...t.fds.keys()].sort() })) };
        shapes.set(w.tasks, sh);
      }
      return sh;
    },
    check(w) {
      const bad: string[] = [];
      const holder = (who: string, h: Holder | null) => {
        if (h?.table == null) return;
        const t = w.tables.get(h.table);
        if (!t) { bad.push(`${who} points at a missing table`); return; }
        // DENY-only slots (the bit mask) are well formed by construction.
        for (const [op, chain] of t.chains) {
          const i = chain.indexOf('DENY');
          if (chain.length === 0) bad.push(`${who}: empty chain for opcode ${op}`);
          if (i >= 0 && i !== chain.length - 1) bad.push(`${who}: DENY is not last for opcode ${op}`);
        }
      };
      for (const t of w.tasks) holder(`task ${t.name}`, t.rs);
      for (const [id, r] of w.rings) {
        holder(`ring ${id}`, r.rs);
        if (r.opRestricted && !r.rs.legacy.opReg) bad.push(`ring ${id}: op-restricted without SQE restrictions`);
        if (r.regRestricted && !r.rs.legacy.regReg) bad.push(`ring ${id}: register-restricted without register restrictions`);
      }
      return bad;
    },
  };
}
