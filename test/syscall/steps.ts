// Random call sequences for the kernel facade, shared by the property tests that
// replay them (test/syscall/fork.test.ts: refcounts and leaks; test/check/
// incremental.test.ts: the incremental invariant checker against the full one).
// Tasks and ring fds are picked by index among the live ones, so every step means
// something whatever came before it.

import fc from 'fast-check';
import { OP } from '../../model/abi/opcodes.ts';
import { FILTER_FLAGS, RESTRICTION, SETUP_FLAGS } from '../../model/abi/flags.ts';
import type { Kernel } from '../../sim/syscall/kernel.ts';
import { ALLOW, DENY_PROG, INIT, bpf, sqe } from './helpers.ts';

export type Step =
  | { c: 'fork' | 'exit' | 'nnp'; t: number }
  | { c: 'tbpf'; t: number; deny: boolean; op: number; rest: boolean }
  | { c: 'tlegacy'; t: number; ops: number[] }
  | { c: 'ring'; t: number; disabled: boolean }
  | { c: 'rbpf'; t: number; r: number; deny: boolean; op: number; rest: boolean }
  | { c: 'rlegacy'; t: number; r: number; ops: number[]; bad: boolean }
  | { c: 'enable' | 'close'; t: number; r: number }
  | { c: 'submit'; t: number; r: number; op: number };

/** A live task and the ring fds it holds. */
export interface LiveTask { pid: number; rings: number[] }

const OPS = [OP.NOP, OP.SOCKET, OP.READ];

/**
 * One random step. `tasks` bounds the task index drawn (indices wrap over the live
 * tasks); `nnp` adds no_new_privs steps. Forks, filters, rings and submissions weigh
 * more than exits and closes so that sequences grow trees worth checking.
 */
export function stepArb(opts: { tasks: number; nnp?: boolean }): fc.Arbitrary<Step> {
  const t = fc.nat(opts.tasks);
  const w = <T>(arbitrary: fc.Arbitrary<T>, weight = 3) => ({ arbitrary, weight });
  const filter = { t, deny: fc.boolean(), op: fc.constantFrom(...OPS), rest: fc.boolean() };
  return fc.oneof(
    w(fc.record({ c: fc.constant('fork' as const), t })),
    w(fc.record({ c: fc.constant('exit' as const), t }), 1),
    ...(opts.nnp ? [w(fc.record({ c: fc.constant('nnp' as const), t }), 1)] : []),
    w(fc.record({ c: fc.constant('tbpf' as const), ...filter })),
    w(fc.record({ c: fc.constant('tlegacy' as const), t, ops: fc.array(fc.constantFrom(...OPS), { maxLength: 2 }) }), 1),
    w(fc.record({ c: fc.constant('ring' as const), t, disabled: fc.boolean() })),
    w(fc.record({ c: fc.constant('rbpf' as const), ...filter, r: fc.nat(3) })),
    w(fc.record({ c: fc.constant('rlegacy' as const), t, r: fc.nat(3), ops: fc.array(fc.constantFrom(...OPS), { maxLength: 2 }), bad: fc.boolean() }), 2),
    w(fc.record({ c: fc.constant('enable' as const), t, r: fc.nat(3) }), 2),
    w(fc.record({ c: fc.constant('close' as const), t, r: fc.nat(3) }), 1),
    w(fc.record({ c: fc.constant('submit' as const), t, r: fc.nat(3), op: fc.constantFrom(...OPS) })),
  );
}

/** The live tasks of a fresh kernel: init, holding no ring. */
export const initialTasks = (): LiveTask[] => [{ pid: INIT, rings: [] }];

/** Apply one step to `k`, keeping `tasks` (the live tasks and their rings) up to date. */
export function applyStep(k: Kernel, tasks: LiveTask[], s: Step): void {
  if (!tasks.length) return;
  const t = tasks[s.t % tasks.length];
  const ring = 'r' in s ? t.rings[s.r % Math.max(1, t.rings.length)] : undefined;
  const sqeOps = (ops: number[]) => ops.map((o) => ({ type: RESTRICTION.SQE_OP, value: o }));
  switch (s.c) {
    case 'fork': { const r = k.fork(t.pid); if (r.child) tasks.push({ pid: r.child, rings: [...t.rings] }); break; }
    case 'exit': k.exit(t.pid); tasks.splice(tasks.indexOf(t), 1); break;
    case 'nnp': k.setNoNewPrivs(t.pid); break;
    case 'tbpf': bpf(k, t.pid, -1, s.op, s.deny ? DENY_PROG : ALLOW, s.rest ? FILTER_FLAGS.DENY_REST : 0); break;
    case 'tlegacy': k.registerRestrictions(t.pid, -1, sqeOps(s.ops)); break;
    case 'ring': { const fd = k.setup(t.pid, 4, s.disabled ? SETUP_FLAGS.R_DISABLED : 0); if (fd >= 0) t.rings.push(fd); break; }
    case 'rbpf': if (ring !== undefined) bpf(k, t.pid, ring, s.op, s.deny ? DENY_PROG : ALLOW, s.rest ? FILTER_FLAGS.DENY_REST : 0); break;
    case 'rlegacy': if (ring !== undefined) k.registerRestrictions(t.pid, ring, s.bad ? [{ type: 9, value: 0 }] : sqeOps(s.ops)); break;
    case 'enable': if (ring !== undefined) k.enableRings(t.pid, ring); break;
    case 'close': if (ring !== undefined) { k.close(t.pid, ring); t.rings.splice(t.rings.indexOf(ring), 1); } break;
    case 'submit': if (ring !== undefined) { k.queueSqe(t.pid, ring, sqe(s.op, 1, { fd: 1, off: 1n })); k.enter(t.pid, ring); k.reapCqes(t.pid, ring); } break;
  }
}
