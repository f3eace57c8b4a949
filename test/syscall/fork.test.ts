// Inheritance and copy-on-write (kernel-semantics.md §3.3-3.4, §7), refcount
// conservation and restrict-only over random call sequences, and branching.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OP } from '../../model/abi/opcodes.ts';
import { RESTRICTION, SETUP_FLAGS, FILTER_FLAGS } from '../../model/abi/flags.ts';
import { AF } from '../../model/abi/net.ts';
import { ALLOW, DENY_PROG, INIT, bpf, kernel, noViolations, run, sqe } from './helpers.ts';
import { applyStep, initialTasks, stepArb, type Step } from './steps.ts';
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

/** Replay random steps from a fresh kernel. */
function replay(profile: string, steps: Step[]) {
  const k = kernel(profile, true);
  const tasks = initialTasks();
  for (const s of steps) applyStep(k, tasks, s);
  return { k, tasks };
}

const randomStep = stepArb({ tasks: 5 });

describe('properties over random call sequences (invariants of sim/check)', () => {
  for (const p of ['7.2', '7.3', '6.18', 'v5']) {
    it(`${p}: refcounts conserved, DENY last, restrict-only, and nothing left after every exit`, () => {
      fc.assert(
        fc.property(fc.array(randomStep, { maxLength: 30 }), (steps) => {
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
