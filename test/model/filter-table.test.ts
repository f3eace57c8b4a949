// Filter tables (kernel-semantics.md §3): DENY_REST, COW, refcounts and the free
// walk, on the model's table functions directly.
import { describe, expect, it } from 'vitest';
import { EMPTY_STORE, DENY, allocTable, cowTable, dropTableRef, pushFilter, takeTableRef, chainOf, isNode, type FilterStore, type Slot } from '../../model/filter/table.ts';
import { OP } from '../../model/abi/opcodes.ts';

const prog = { run: () => 1 };
const push = (s: FilterStore, t: number, op: number, rest = false) => pushFilter(s, t, op, prog, [], '', rest).store;
const slots = (s: FilterStore, t: number) => s.tables.get(t)!.slots.toArray();

describe('filter tables', () => {
  it('DENY_REST fills only the slots that are empty at that moment (§8.1)', () => {
    let { store: s, id } = allocTable(EMPTY_STORE);
    s = push(s, id, OP.SOCKET);
    s = push(s, id, OP.NOP, true);
    const sl = slots(s, id);
    expect(isNode(sl[OP.SOCKET])).toBe(true);
    expect(isNode(sl[OP.NOP])).toBe(true);
    expect(sl[OP.READ]).toBe(DENY);
    expect(sl.filter((x) => x === DENY)).toHaveLength(65 - 2);
  });
  it('a filter pushed onto a DENY slot keeps DENY last (§8.2-8.3)', () => {
    let { store: s, id } = allocTable(EMPTY_STORE);
    s = push(s, id, OP.NOP, true);
    s = push(s, id, OP.READ);
    const chain = chainOf(slots(s, id)[OP.READ]);
    expect(chain).toHaveLength(2);
    expect(chain[1]).toBe(DENY);
  });
  it('COW shares heads (+1 each), copies DENY, and the old table keeps its chains (§3.2-3.3)', () => {
    let { store: s, id: t1 } = allocTable(EMPTY_STORE);
    s = push(s, t1, OP.NOP);
    s = push(s, t1, OP.SOCKET, true);
    s = takeTableRef(s, t1); // a second holder
    const head = slots(s, t1)[OP.NOP];
    const c = cowTable(s, t1);
    s = dropTableRef(c.store, t1); // the COWing holder lets go of the shared table
    const t2 = c.id;
    expect(s.tables.get(t1)!.refs).toBe(1);
    expect(s.tables.get(t2)!.refs).toBe(1);
    expect(slots(s, t2)[OP.NOP]).toBe(head);
    expect(slots(s, t2)[OP.READ]).toBe(DENY);
    expect(s.nodeRefs.get((head as { id: number }).id)).toBe(2);
    s = push(s, t2, OP.NOP);
    expect(chainOf(slots(s, t2)[OP.NOP])).toHaveLength(2);
    expect(chainOf(slots(s, t1)[OP.NOP])).toHaveLength(1);
  });
  it('freeing walks each chain until a node someone else still owns (§3.2)', () => {
    let { store: s, id: t1 } = allocTable(EMPTY_STORE);
    s = push(s, t1, OP.NOP); // n1
    const c = cowTable(s, t1); // t2 shares n1 (refs 2)
    s = c.store;
    s = push(s, c.id, OP.NOP); // n2 -> n1 in t2
    s = dropTableRef(s, t1); // t1 gone: n1 drops to 1 (owned by n2's edge)
    expect(s.tables.has(t1)).toBe(false);
    expect([...s.nodeRefs.values()]).toEqual([1, 1]);
    s = dropTableRef(s, c.id); // t2 gone: n2 and then n1 freed
    expect(s.tables.size).toBe(0);
    expect(s.nodeRefs.size).toBe(0);
  });
});

describe('slot tables', () => {
  // The sparse table against a dense array of IORING_OP_LAST slots updated as §2.4
  // E.3-4 states it: push at the head, then with DENY_REST every empty slot is DENY.
  it('a registration gives the slots a dense array gives, and the chained list and DENY mask agree with them', async () => {
    const fc = (await import('fast-check')).default;
    const step = fc.record({ op: fc.integer({ min: 0, max: 64 }), rest: fc.boolean(), cow: fc.boolean() });
    fc.assert(fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
      let { store: s, id } = allocTable(EMPTY_STORE);
      const dense: Slot[] = new Array(65).fill(null);
      for (const st of steps) {
        if (st.cow) {
          const c = cowTable(s, id);
          s = dropTableRef(c.store, id);
          id = c.id;
        }
        s = push(s, id, st.op, st.rest);
        const sl = s.tables.get(id)!.slots;
        const head = sl.at(st.op);
        expect(isNode(head) && head.next).toBe(dense[st.op]);
        dense[st.op] = head;
        if (st.rest) for (let op = 0; op < 65; op++) if (dense[op] === null) dense[op] = DENY;
        expect(sl.toArray()).toEqual(dense);
        for (let op = 0; op < 65; op++) {
          expect(sl.chained.includes(op)).toBe(isNode(dense[op]));
          expect(((sl.deny[op >>> 5] >>> (op & 31)) & 1) === 1).toBe(dense[op] === DENY);
        }
        expect(sl.chained).toEqual([...sl.chained].sort((a, b) => a - b));
        expect(sl.at(65)).toBe(null);
      }
    }), { numRuns: 300, seed: 11 });
  });
});
