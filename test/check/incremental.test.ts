// The incremental invariant checker (sim/check/incremental.ts) against the full one
// (sim/check/invariants.ts), which states each invariant over the whole world: on
// planted broken worlds (each invariant violated in turn, then repaired) and on
// random call sequences with random corruptions planted between steps, the two
// give the same verdicts at every step.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OP } from '../../model/abi/opcodes.ts';
import { FILTER_FLAGS, RESTRICTION, SETUP_FLAGS } from '../../model/abi/flags.ts';
import type { World } from '../../model/world/world.ts';
import type { FilterNode } from '../../model/filter/table.ts';
import { SlotTable } from '../../model/filter/table.ts';
import { checkInvariants, type InvariantViolation } from '../../sim/check/invariants.ts';
import { IncrementalInvariants } from '../../sim/check/incremental.ts';
import { ALLOW, DENY_PROG, INIT, bpf, kernel, sqe } from '../syscall/helpers.ts';
import { applyStep, initialTasks, stepArb, type Step } from '../syscall/steps.ts';

const verdict = (vs: InvariantViolation[]) => vs.map((v) => `${v.kind}: ${v.message}${v.knownKernelBug ? ' (known)' : ''}`).sort();

/** A kernel with a filter on init, a ring with its own filter, and a forked child. */
function goodWorld(p = '7.3') {
  const k = kernel(p, false);
  bpf(k, INIT, -1, OP.NOP, DENY_PROG);
  const fd = k.setup(INIT, 8, 0);
  bpf(k, INIT, fd, OP.READ, DENY_PROG);
  const child = k.fork(INIT).child!;
  return { k, w: k.world, child };
}

type Plant = (w: World, child: number) => World;
const tableOf = (w: World, pid: number) => w.filters.tables.get(w.tasks.get(pid)!.rs!.table!)!;

const PLANTS: Record<string, { kind: string; plant: Plant }> = {
  'table refcount off': {
    kind: 'table-refs',
    plant: (w) => { const t = tableOf(w, INIT); return { ...w, filters: { ...w.filters, tables: w.filters.tables.set(t.id, { ...t, refs: t.refs + 1 }) } }; },
  },
  'task points at a missing table': {
    kind: 'table-refs',
    plant: (w, c) => { const t = w.tasks.get(c)!; return { ...w, tasks: w.tasks.set(c, { ...t, rs: { ...t.rs!, table: 999 } }) }; },
  },
  'ring submits through a missing table': {
    kind: 'table-refs',
    plant: (w) => { const r = w.rings.valueArray()[0]; return { ...w, rings: w.rings.set(r.id, { ...r, filterCache: 998 }) }; },
  },
  'node refcount off': {
    kind: 'node-refs',
    plant: (w) => { const [id, n] = w.filters.nodeRefs.toArray()[0]; return { ...w, filters: { ...w.filters, nodeRefs: w.filters.nodeRefs.set(id, n + 1) } }; },
  },
  'refcount nothing owns': {
    kind: 'node-refs',
    plant: (w) => ({ ...w, filters: { ...w.filters, nodeRefs: w.filters.nodeRefs.set(500, 1) } }),
  },
  'reachable node without refcount': {
    kind: 'node-refs',
    plant: (w) => { const id = w.filters.nodeRefs.keyArray()[0]; return { ...w, filters: { ...w.filters, nodeRefs: w.filters.nodeRefs.delete(id) } }; },
  },
  'a chain that does not end': {
    kind: 'deny-last',
    plant: (w) => {
      // Longer than any chain can be (the full check gives up after 2^16 links); each
      // link is owned once, so only DENY-last is broken. (A cycle cannot be built
      // through the model's API, and describing one would not end either.)
      const t = tableOf(w, INIT);
      const head = t.slots.heads[0];
      let next: FilterNode['next'] = null;
      let nodeRefs = w.filters.nodeRefs;
      for (let i = 0; i < (1 << 16) + 2; i++) {
        next = { id: 1000 + i, opcode: head.opcode, program: head.program, insns: head.insns, label: '', next } as FilterNode;
        nodeRefs = nodeRefs.set(1000 + i, 1);
      }
      const slots = SlotTable.of([...t.slots.toArray().slice(0, head.opcode), next]);
      nodeRefs = nodeRefs.set(head.id, nodeRefs.get(head.id)! - 1);
      return { ...w, filters: { ...w.filters, tables: w.filters.tables.set(t.id, { ...t, slots }), nodeRefs, nextNode: 1000 + (1 << 16) + 2 } };
    },
  },
  'leftover tables': {
    kind: 'leftover',
    plant: (w) => { let tasks = w.tasks, rings = w.rings; for (const k of w.tasks.keyArray()) tasks = tasks.delete(k); for (const k of w.rings.keyArray()) rings = rings.delete(k); return { ...w, tasks, rings }; },
  },
  'restrict-only: a task loses its filter': {
    kind: 'restrict-only',
    plant: (w) => { const t = w.tasks.get(INIT)!; return { ...w, tasks: w.tasks.set(INIT, { ...t, rs: null }) }; },
  },
  'restrict-only: a shared table loosens in place': {
    kind: 'restrict-only',
    plant: (w) => {
      // The task is not touched; only the table it points at changes (the holder index finds it).
      const t = tableOf(w, INIT);
      return { ...w, filters: { ...w.filters, tables: w.filters.tables.set(t.id, { ...t, slots: SlotTable.of([]) }) } };
    },
  },
  'fork-policy: a child born without its parent\'s policy': {
    kind: 'fork-policy',
    plant: (w, c) => { const t = w.tasks.get(c)!; return { ...w, tasks: w.tasks.set(c + 50, { ...t, pid: c + 50, ppid: INIT, rs: null }) }; },
  },
};

describe('incremental invariants: planted broken worlds', () => {
  for (const [name, { kind, plant }] of Object.entries(PLANTS)) {
    it(`${name}: caught (${kind}) as the full check sees it, and cleared when repaired`, () => {
      const { k, w, child } = goodWorld();
      const inc = new IncrementalInvariants(k.profile);
      expect(inc.check(w, null)).toEqual([]);
      const bad = plant(w, child);
      const full = checkInvariants(bad, k.profile, w);
      expect(full.map((v) => v.kind)).toContain(kind);
      const got = inc.check(bad, w);
      expect(got.map((v) => v.kind)).toContain(kind);
      expect(verdict(got)).toEqual(verdict(full));
      // Back to the good world: the standing violations go (a policy that grows back is its own finding).
      expect(verdict(inc.check(w, bad))).toEqual(verdict(checkInvariants(w, k.profile, bad)));
      expect(verdict(inc.check(w, w))).toEqual([]);
    });
  }
  it('a fresh checker on a broken world (any prev: it rebuilds) agrees with the full check', () => {
    const { k, w, child } = goodWorld();
    for (const { plant } of Object.values(PLANTS)) {
      const bad = plant(w, child);
      expect(verdict(new IncrementalInvariants(k.profile).check(bad, w))).toEqual(verdict(checkInvariants(bad, k.profile, w)));
    }
  });
});

type PlantStep = { c: 'plant'; which: number; t: number };
const planting: fc.Arbitrary<Step | PlantStep> = fc.oneof(
  { arbitrary: stepArb({ tasks: 7, nnp: true }), weight: 6 },
  { arbitrary: fc.record({ c: fc.constant('plant' as const), which: fc.nat(5), t: fc.nat(7) }), weight: 1 },
);

/** Random corruptions a buggy kernel could leave (no cycles: the model's nodes cannot form one). */
function corrupt(w: World, which: number, pick: number): World {
  const tasks = w.tasks.valueArray(), tables = w.filters.tables.valueArray(), refs = w.filters.nodeRefs.toArray();
  switch (which) {
    case 0: if (tables.length) { const t = tables[pick % tables.length]; return { ...w, filters: { ...w.filters, tables: w.filters.tables.set(t.id, { ...t, refs: t.refs + 1 }) } }; } break;
    case 1: if (refs.length) { const [id, n] = refs[pick % refs.length]; return { ...w, filters: { ...w.filters, nodeRefs: n > 1 ? w.filters.nodeRefs.set(id, n - 1) : w.filters.nodeRefs.delete(id) } }; } break;
    case 2: if (tasks.length) { const t = tasks[pick % tasks.length]; return { ...w, tasks: w.tasks.set(t.pid, { ...t, rs: null }) }; } break;
    case 3: if (tables.length) { const t = tables[pick % tables.length]; return { ...w, filters: { ...w.filters, tables: w.filters.tables.delete(t.id) } }; } break;
    case 4: if (tables.length) { const t = tables[pick % tables.length]; return { ...w, filters: { ...w.filters, tables: w.filters.tables.set(t.id, { ...t, slots: SlotTable.of([]) }) } }; } break;
    case 5: return { ...w, filters: { ...w.filters, nodeRefs: w.filters.nodeRefs.set(900 + pick, 1) } };
  }
  return w;
}

describe('incremental invariants: same verdicts as the full check on random traces', () => {
  for (const p of ['7.3', '7.2', 'v5', '6.18']) {
    it(`${p}: at every step, with corruptions planted between steps`, () => {
      fc.assert(
        fc.property(fc.array(planting, { maxLength: 40 }), (steps) => {
          const k = kernel(p, false);
          const inc = new IncrementalInvariants(k.profile);
          let prev: World | null = null;
          const seen = (w: World) => {
            expect(verdict(inc.check(w, prev))).toEqual(verdict(checkInvariants(w, k.profile, prev)));
            prev = w;
          };
          seen(k.world);
          const tasks = initialTasks();
          for (const s of steps) {
            if (!tasks.length) break;
            if (s.c === 'plant') seen(corrupt(k.world, s.which, s.t));
            else applyStep(k, tasks, s);
            seen(k.world);
          }
          for (const t of [...tasks]) { k.exit(t.pid); seen(k.world); }
        }),
        { numRuns: 80 },
      );
    });
  }
});

describe('the kernel checks incrementally', () => {
  it('a replayed kernel reports a violation the step it appears (through the incremental checker)', () => {
    const k = kernel('7.3', true);
    bpf(k, INIT, -1, OP.NOP, ALLOW);
    for (let i = 0; i < 50; i++) k.fork(INIT);
    expect(k.violations).toEqual([]);
    const w = k.world;
    const t = tableOf(w, INIT);
    k.restore({ ...w, filters: { ...w.filters, tables: w.filters.tables.set(t.id, { ...t, refs: 3 }) } });
    k.setNoNewPrivs(INIT);
    expect(k.violations.map((v) => v.kind)).toContain('table-refs');
  });
});
