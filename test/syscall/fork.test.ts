// Inheritance and copy-on-write (kernel-semantics.md §3.3-3.4, §7), refcount
// conservation and restrict-only over random call sequences, and branching.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OP } from '../../model/abi/opcodes.ts';
import { RESTRICTION, SETUP_FLAGS, FILTER_FLAGS } from '../../model/abi/flags.ts';
import { AF } from '../../model/abi/net.ts';
import { ALLOW, DENY_PROG, INIT, bpf, kernel, noViolations, run, sqe } from './helpers.ts';
import { checkInvariants } from '../../sim/check/invariants.ts';
import { describeWorld } from '../../model/world/describe.ts';

const EACCES = -13;
const nop = (ud: number) => sqe(OP.NOP, ud);

describe('copy-on-write per profile (§3.4 table)', () => {
  // P registers after the clone: visible to C in 7.0-7.2, private in 7.3.
  for (const [p, shared] of [['7.0', true], ['7.1', true], ['7.2', true], ['7.3', false]] as const) {
    it(`${p}: parent's later filter ${shared ? 'is' : 'is not'} seen by the child`, () => {
      const k = kernel(p);
      bpf(k, INIT, -1, OP.NOP, ALLOW);
      const child = k.fork(INIT).child!;
      bpf(k, INIT, -1, OP.NOP, DENY_PROG);
      const fd = k.setup(child, 8, 0);
      expect(run(k, child, fd, [nop(1)]).cqes).toEqual([[1, shared ? EACCES : 0]]);
      noViolations(k);
    });
    it(`${p}: task update after ring creation ${shared ? 'reaches' : 'does not reach'} the ring; DENY_REST likewise`, () => {
      const k = kernel(p);
      bpf(k, INIT, -1, OP.NOP, ALLOW);
      const fd = k.setup(INIT, 8, SETUP_FLAGS.SUBMIT_ALL);
      bpf(k, INIT, -1, OP.NOP, ALLOW, FILTER_FLAGS.DENY_REST);
      expect(run(k, INIT, fd, [sqe(OP.SOCKET, 1, { fd: AF.AF_UNIX, off: 1n })]).cqes[0][1]).toBe(shared ? EACCES : 4);
      noViolations(k);
    });
  }
  it('a child\'s own registration is private on every profile, and stacks in front of the inherited chain', () => {
    for (const p of ['7.0', '7.3']) {
      const k = kernel(p);
      bpf(k, INIT, -1, OP.NOP, ALLOW);
      const child = k.fork(INIT).child!;
      expect(bpf(k, child, -1, OP.NOP, DENY_PROG).ret).toBe(0);
      expect(run(k, INIT, k.setup(INIT, 8, 0), [nop(1)]).cqes).toEqual([[1, 0]]);
      expect(run(k, child, k.setup(child, 8, 0), [nop(2)]).cqes).toEqual([[2, EACCES]]);
      const v = describeWorld(k.world);
      const childTable = v.tasks.find((t) => t.pid === child)!.restrictions!.table!;
      const chain = v.tables.find((t) => t.id === childTable)!.slots.find((s) => s.op === 'NOP')!.chain;
      expect(chain.length).toBe(2);
      noViolations(k);
    }
  });
  it('the child starts with a reference to the parent\'s table (refcount 2, child marked cow)', () => {
    const k = kernel('7.2');
    bpf(k, INIT, -1, OP.NOP, ALLOW);
    const child = k.fork(INIT).child!;
    const v = describeWorld(k.world);
    expect(v.tables).toHaveLength(1);
    expect(v.tables[0].refs).toBe(2);
    expect(v.tasks.find((t) => t.pid === child)!.restrictions).toMatchObject({ table: v.tables[0].id, cow: true });
    expect(v.tasks.find((t) => t.pid === INIT)!.restrictions!.cow).toBe(false);
  });
  it('legacy task restrictions are inherited by fork and bind rings the child creates', () => {
    const k = kernel('7.3');
    k.registerRestrictions(INIT, -1, [{ type: RESTRICTION.SQE_OP, value: OP.NOP }]);
    const child = k.fork(INIT).child!;
    expect(k.registerRestrictions(child, -1, [])).toBe(-1);
    const fd = k.setup(child, 8, SETUP_FLAGS.SUBMIT_ALL);
    expect(run(k, child, fd, [nop(1), sqe(OP.SOCKET, 2, { fd: 1, off: 1n })]).cqes).toEqual([[1, 0], [2, EACCES]]);
  });
});

type Step =
  | { c: 'fork'; t: number }
  | { c: 'exit'; t: number }
  | { c: 'tbpf'; t: number; deny: boolean; op: number; rest: boolean }
  | { c: 'tlegacy'; t: number; ops: number[] }
  | { c: 'ring'; t: number; disabled: boolean }
  | { c: 'rbpf'; t: number; r: number; deny: boolean; op: number; rest: boolean }
  | { c: 'rlegacy'; t: number; r: number; ops: number[]; bad: boolean }
  | { c: 'enable'; t: number; r: number }
  | { c: 'close'; t: number; r: number }
  | { c: 'submit'; t: number; r: number; op: number };

const OPS = [OP.NOP, OP.SOCKET, OP.READ];
const w = <T>(arbitrary: fc.Arbitrary<T>, weight = 3) => ({ arbitrary, weight });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  w(fc.record({ c: fc.constant('fork' as const), t: fc.nat(5) })),
  w(fc.record({ c: fc.constant('exit' as const), t: fc.nat(5) }), 1),
  w(fc.record({ c: fc.constant('tbpf' as const), t: fc.nat(5), deny: fc.boolean(), op: fc.constantFrom(...OPS), rest: fc.boolean() })),
  w(fc.record({ c: fc.constant('tlegacy' as const), t: fc.nat(5), ops: fc.array(fc.constantFrom(...OPS), { maxLength: 2 }) }), 1),
  w(fc.record({ c: fc.constant('ring' as const), t: fc.nat(5), disabled: fc.boolean() })),
  w(fc.record({ c: fc.constant('rbpf' as const), t: fc.nat(5), r: fc.nat(3), deny: fc.boolean(), op: fc.constantFrom(...OPS), rest: fc.boolean() })),
  w(fc.record({ c: fc.constant('rlegacy' as const), t: fc.nat(5), r: fc.nat(3), ops: fc.array(fc.constantFrom(...OPS), { maxLength: 2 }), bad: fc.boolean() }), 2),
  w(fc.record({ c: fc.constant('enable' as const), t: fc.nat(5), r: fc.nat(3) }), 2),
  w(fc.record({ c: fc.constant('close' as const), t: fc.nat(5), r: fc.nat(3) }), 1),
  w(fc.record({ c: fc.constant('submit' as const), t: fc.nat(5), r: fc.nat(3), op: fc.constantFrom(...OPS) })),
);

/** Replay random steps; tasks and ring fds are picked by index among the live ones. */
function replay(profile: string, steps: Step[]) {
  const k = kernel(profile, true);
  const tasks: { pid: number; rings: number[] }[] = [{ pid: INIT, rings: [] }];
  for (const s of steps) {
    if (!tasks.length) break;
    const t = tasks[s.t % tasks.length];
    const ring = 'r' in s ? t.rings[s.r % Math.max(1, t.rings.length)] : undefined;
    switch (s.c) {
      case 'fork': { const r = k.fork(t.pid); if (r.child) tasks.push({ pid: r.child, rings: [...t.rings] }); break; }
      case 'exit': k.exit(t.pid); tasks.splice(tasks.indexOf(t), 1); break;
      case 'tbpf': bpf(k, t.pid, -1, s.op, s.deny ? DENY_PROG : ALLOW, s.rest ? FILTER_FLAGS.DENY_REST : 0); break;
      case 'tlegacy': k.registerRestrictions(t.pid, -1, s.ops.map((o) => ({ type: RESTRICTION.SQE_OP, value: o }))); break;
      case 'ring': { const fd = k.setup(t.pid, 4, s.disabled ? SETUP_FLAGS.R_DISABLED : 0); if (fd >= 0) t.rings.push(fd); break; }
      case 'rbpf': if (ring !== undefined) bpf(k, t.pid, ring, s.op, s.deny ? DENY_PROG : ALLOW, s.rest ? FILTER_FLAGS.DENY_REST : 0); break;
      case 'rlegacy': if (ring !== undefined) k.registerRestrictions(t.pid, ring, s.bad ? [{ type: 9, value: 0 }] : s.ops.map((o) => ({ type: RESTRICTION.SQE_OP, value: o }))); break;
      case 'enable': if (ring !== undefined) k.enableRings(t.pid, ring); break;
      case 'close': if (ring !== undefined) { k.close(t.pid, ring); t.rings.splice(t.rings.indexOf(ring), 1); } break;
      case 'submit': if (ring !== undefined) { k.queueSqe(t.pid, ring, sqe(s.op, 1, { fd: 1, off: 1n })); k.enter(t.pid, ring); k.reapCqes(t.pid, ring); } break;
    }
  }
  return { k, tasks };
}

describe('properties over random call sequences (invariants of sim/check)', () => {
  for (const p of ['7.2', '7.3', '6.18', 'v5']) {
    it(`${p}: refcounts conserved, DENY last, restrict-only, and nothing left after every exit`, () => {
      fc.assert(
        fc.property(fc.array(stepArb, { maxLength: 30 }), (steps) => {
          const { k, tasks } = replay(p, steps);
          for (const t of [...tasks]) k.exit(t.pid);
          const real = k.violations.filter((v) => !v.knownKernelBug);
          expect(real.map((v) => `${v.kind}: ${v.message}`)).toEqual([]);
          expect(k.world.tasks.size).toBe(0);
          expect(k.world.rings.size).toBe(0);
          // Only a leak the profile's kernel really has may remain.
          if (!k.world.leaked.size) {
            expect(k.world.filters.tables.size).toBe(0);
            expect(k.world.filters.nodeRefs.size).toBe(0);
          }
        }),
        { numRuns: p === '7.3' || p === '7.2' ? 60 : 25 },
      );
    });
  }
  it('the invariant checker catches a broken refcount and a grown policy', () => {
    const k = kernel('7.3', false);
    bpf(k, INIT, -1, OP.NOP, DENY_PROG);
    const good = k.world;
    const t = good.filters.tables.toArray()[0][1];
    const broken = { ...good, filters: { ...good.filters, tables: good.filters.tables.set(t.id, { ...t, refs: 5 }) } };
    expect(checkInvariants(broken, k.profile, good).map((v) => v.kind)).toContain('table-refs');
    const task = good.tasks.get(INIT)!;
    const loosened = { ...good, tasks: good.tasks.set(INIT, { ...task, rs: null }) };
    expect(checkInvariants(loosened, k.profile, good).map((v) => v.kind)).toEqual(expect.arrayContaining(['restrict-only']));
    // A policy that only changed to an equal one is not reported.
    expect(checkInvariants(good, k.profile, good)).toEqual([]);
  });

  it('the invariant checker catches a node refcount off by one and a refcount nothing owns', () => {
    const k = kernel('7.3', false);
    bpf(k, INIT, -1, OP.NOP, ALLOW);
    const good = k.world;
    expect(checkInvariants(good, k.profile, good)).toEqual([]);
    const [nodeId, refs] = good.filters.nodeRefs.toArray()[0];
    const offByOne = { ...good, filters: { ...good.filters, nodeRefs: good.filters.nodeRefs.set(nodeId, refs + 1) } };
    expect(checkInvariants(offByOne, k.profile, good).map((v) => v.kind)).toEqual(['node-refs']);
    const orphan = { ...good, filters: { ...good.filters, nodeRefs: good.filters.nodeRefs.set(nodeId + 100, 1) } };
    expect(checkInvariants(orphan, k.profile, good).map((v) => v.message)).toEqual([`node ${nodeId + 100} has a refcount but nothing reaches it`]);
  });
});

describe('the world as a value', () => {
  it('data-plane calls do not replace the world; control-plane calls do', () => {
    const k = kernel('7.3', false);
    const fd = k.setup(INIT, 8, 0);
    bpf(k, INIT, fd, OP.NOP, ALLOW);
    const tasks = k.world.tasks;
    const filters = k.world.filters;
    run(k, INIT, fd, [nop(1), nop(2)]);
    expect(k.world.tasks).toBe(tasks);
    expect(k.world.filters).toBe(filters);
    k.fork(INIT);
    expect(k.world.tasks).not.toBe(tasks);
  });
  it('restore goes back to an earlier world, queues included, and branches replay identically', () => {
    const k = kernel('7.2', false);
    const fd = k.setup(INIT, 8, SETUP_FLAGS.SUBMIT_ALL);
    k.queueSqe(INIT, fd, nop(1));
    const saved = k.world;
    bpf(k, INIT, fd, OP.NOP, DENY_PROG);
    expect(run(k, INIT, fd, [nop(2)]).cqes).toEqual([[1, EACCES], [2, EACCES]]);
    k.restore(saved);
    expect(run(k, INIT, fd, [nop(2)]).cqes).toEqual([[1, 0], [2, 0]]);
    k.restore(saved);
    expect(run(k, INIT, fd, [nop(2)]).cqes).toEqual([[1, 0], [2, 0]]);
    expect(saved.queues!.get(1)!.sq).toHaveLength(1);
  });
});
