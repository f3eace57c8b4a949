// The kernel model's canonical state key (model/world/key.ts via the facade) and
// the packed key set: keys merge states only when every continuation answers
// alike, renumbering really merges states whose ids differ, the key reads every
// field the model's records have, and the set agrees with a plain Set of texts.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getProfile } from '../../model/profile/profiles.ts';
import { hashKeyBytes, KEY_FIELDS, KeyBuf } from '../../model/world/key.ts';
import type { World } from '../../model/world/world.ts';
import { isNode, SlotTable, type FilterNode, type FilterTable } from '../../model/filter/table.ts';
import type { RestrictionSet } from '../../model/restriction/set.ts';
import type { Ring } from '../../model/ring/ring.ts';
import type { Task } from '../../model/task/task.ts';
import { loadFacade, facadeSubject, type FacadeState } from '../../sim/explore/facade.ts';
import { KeySet } from '../../sim/explore/keyset.ts';
import { obsKey } from '../../sim/explore/observe.ts';
import { applySteps, keyText, type Subject } from '../../sim/explore/subject.ts';
import { DEFAULT_UNIVERSE, Universe, type Move } from '../../sim/explore/universe.ts';

const parts = await loadFacade();
if (!parts.ok) throw new Error(parts.error.message);

function kernel(name: string): Subject<FacadeState> {
  return facadeSubject(parts.ok ? parts.value : (undefined as never), getProfile(name)!);
}

/** Every state up to `depth` moves, without merging, in visiting order. */
function allStates(subject: Subject<FacadeState>, u: Universe, depth: number): FacadeState[] {
  const out: FacadeState[] = [];
  const walk = (s: FacadeState, d: number) => {
    out.push(s);
    if (d === 0) return;
    for (const m of u.moves(subject.shape(s))) walk(applySteps(subject, s, m.steps).s, d - 1);
  };
  walk(subject.init(), depth);
  return out;
}

function byLabel(u: Universe, subject: Subject<FacadeState>, s: FacadeState, label: string): Move {
  const m = u.moves(subject.shape(s)).find((x) => x.label === label);
  if (!m) throw new Error(`no move '${label}'`);
  return m;
}

function run(subject: Subject<FacadeState>, labels: string[], u: Universe): FacadeState {
  let s = subject.init();
  for (const l of labels) s = applySteps(subject, s, byLabel(u, subject, s, l).steps).s;
  return s;
}

const raw = (s: FacadeState) => s.world as World;

describe('kernel state key', () => {
  it('merges a ring closed and made again with the ring made once, although its id differs', () => {
    const subject = kernel('7.3');
    const u = new Universe(DEFAULT_UNIVERSE, getProfile('7.3')!);
    const once = run(subject, ['ring r0'], u);
    const again = run(subject, ['ring r0', 'close r0', 'ring r0'], u);
    expect([...raw(once).rings.keys()]).not.toEqual([...raw(again).rings.keys()]);
    expect(keyText(subject, again)).toBe(keyText(subject, once));
    // ... and keeps apart what differs: another program, another order of sharing.
    const allow = run(subject, ['bpf task op=NOP allow', 'ring r0'], u);
    const deny = run(subject, ['bpf task op=NOP deny', 'ring r0'], u);
    const later = run(subject, ['ring r0', 'bpf task op=NOP allow'], u);
    expect(new Set([keyText(subject, allow), keyText(subject, deny), keyText(subject, later)]).size).toBe(3);
  });

  for (const name of ['7.2', '7.3', '6.18']) {
    it(`states with one key answer every continuation alike, invariants included (${name})`, () => {
      const subject = kernel(name);
      const u = new Universe({ ...DEFAULT_UNIVERSE, programs: ['allow', 'deny'] }, getProfile(name)!);
      const groups = new Map<string, FacadeState[]>();
      for (const s of allStates(subject, u, 2)) {
        const k = keyText(subject, s);
        const l = groups.get(k) ?? [];
        if (l.length < 4) l.push(s);
        groups.set(k, l);
      }
      const merged = [...groups.values()].filter((l) => l.length > 1);
      // Renumbering is exercised: some merged states have different raw ids.
      const renumbered = merged.filter((l) => l.some((s) => raw(s).nextRing !== raw(l[0]).nextRing || raw(s).filters.nextNode !== raw(l[0]).filters.nextNode));
      expect(renumbered.length).toBeGreaterThan(0);
      fc.assert(fc.property(fc.nat(merged.length - 1), fc.array(fc.nat(1000), { minLength: 4, maxLength: 4 }), (gi, picks) => {
        const [a, ...rest] = merged[gi];
        const trail = (s: FacadeState) => {
          const out: string[] = [];
          let prev = s;
          for (const x of picks) {
            const ms = u.moves(subject.shape(prev));
            const r = applySteps(subject, prev, ms[x % ms.length].steps);
            out.push(ms[x % ms.length].label, ...r.obs.map(obsKey), keyText(subject, r.s), subject.check(r.s, prev).length ? 'violation' : 'ok');
            prev = r.s;
          }
          return out;
        };
        const want = trail(a);
        for (const b of rest) expect(trail(b)).toEqual(want);
      }), { numRuns: 150, seed: 11 });
    });
  }

  it('reads every field of the records the kernel model builds', () => {
    const subject = kernel('7.2');
    const u = new Universe(DEFAULT_UNIVERSE, getProfile('7.2')!);
    const seen = new Map<string, Set<string>>();
    const note = (kind: keyof typeof KEY_FIELDS, o: object | null | undefined) => {
      if (!o) return;
      const s = seen.get(kind) ?? new Set();
      for (const f of Object.keys(o)) s.add(f);
      seen.set(kind, s);
    };
    // An io move reaps its CQE; stop one made with its CQE still in the queue.
    const ring = run(subject, ['ring r0'], u);
    const pending = applySteps(subject, ring, byLabel(u, subject, ring, 'io r0 NOP').steps.slice(0, 2)).s;
    for (const st of [...allStates(subject, u, 2), pending]) {
      const w = raw(st);
      note('world', w);
      note('store', w.filters);
      for (const t of w.tasks.values()) { note('task', t); note('set', t.rs); }
      for (const r of w.rings.values()) { note('ring', r); note('set', r.rs); }
      for (const t of w.filters.tables.values()) {
        note('table', t);
        for (const sl of t.slots) for (let n = sl; isNode(n); n = n.next) note('node', n);
      }
      w.queues?.forEach((q) => { note('queue', q); for (const c of q.cq) note('cqe', c); });
    }
    for (const [kind, fields] of seen) {
      const known = new Set<string>(KEY_FIELDS[kind as keyof typeof KEY_FIELDS]);
      expect([...fields].filter((f) => !known.has(f)), `${kind} fields the key does not write`).toEqual([]);
    }
    expect([...seen.keys()].sort()).toEqual(['cqe', 'node', 'queue', 'ring', 'set', 'store', 'table', 'task', 'world']);
  });
});

/** Worlds that each differ from `w` in one value the kernel can read. */
function mutations(w: World): [string, World][] {
  const out: [string, World][] = [];
  const withTask = (t: Task) => ({ ...w, tasks: w.tasks.set(t.pid, t) });
  const withRing = (r: Ring) => ({ ...w, rings: w.rings.set(r.id, r) });
  const withTable = (t: FilterTable) => ({ ...w, filters: { ...w.filters, tables: w.filters.tables.set(t.id, t) } });
  const flip = <T extends object>(o: T, f: keyof T): T => ({ ...o, [f]: typeof o[f] === 'boolean' ? !o[f] : (o[f] as number) + 1 });
  const setVariants = (rs: RestrictionSet | null): RestrictionSet[] => {
    if (!rs) return [{ legacy: null, table: null, cow: false }];
    const v: RestrictionSet[] = [{ ...rs, cow: !rs.cow }, { ...rs, table: rs.table === null ? [...w.filters.tables.keys()][0] ?? null : null }];
    if (rs.legacy) v.push({ ...rs, legacy: { ...rs.legacy, flagsAllowed: rs.legacy.flagsAllowed + 1 } });
    return v.filter((x) => x.table !== rs.table || x.cow !== rs.cow || x.legacy !== rs.legacy);
  };
  for (const t of w.tasks.values()) {
    for (const f of ['uid', 'cap', 'nnp'] as const) out.push([`task ${t.pid} ${f}`, withTask(flip(t, f))]);
    for (const rs of setVariants(t.rs)) out.push([`task ${t.pid} rs`, withTask({ ...t, rs })]);
    if (t.fds.length) out.push([`task ${t.pid} fds`, withTask({ ...t, fds: t.fds.slice(0, -1) })]);
  }
  for (const r of w.rings.values()) {
    for (const f of ['flags', 'sqEntries', 'cqEntries', 'disabled', 'opRestricted', 'regRestricted', 'regInherited', 'fileRefs'] as const) out.push([`ring ${r.id} ${f}`, withRing(flip(r, f))]);
    out.push([`ring ${r.id} reg`, withRing({ ...r, reg: { ...r.reg, files: r.reg.files + 1 } })]);
    out.push([`ring ${r.id} submitter`, withRing({ ...r, submitter: r.submitter === null ? r.creator : null })]);
    out.push([`ring ${r.id} filterCache`, withRing({ ...r, filterCache: r.filterCache === null ? [...w.filters.tables.keys()][0] ?? -5 : null })]);
    for (const rs of setVariants(r.rs)) out.push([`ring ${r.id} rs`, withRing({ ...r, rs })]);
    const q = w.queues?.get(r.id);
    if (q && w.queues) {
      const withQ = (x: typeof q) => ({ ...w, queues: w.queues!.set(r.id, x) });
      out.push([`ring ${r.id} drainDisabled`, withQ({ ...q, drainDisabled: !q.drainDisabled })]);
      if (q.sq.length) out.push([`ring ${r.id} sq`, withQ({ ...q, sq: q.sq.slice(1) })]);
      if (q.cq.length) out.push([`ring ${r.id} cq`, withQ({ ...q, cq: [{ ...q.cq[0], res: q.cq[0].res + 1 }, ...q.cq.slice(1)] })]);
    }
  }
  for (const t of w.filters.tables.values()) {
    out.push([`table ${t.id} refs`, withTable({ ...t, refs: t.refs + 1 })]);
    const dense = t.slots.toArray();
    const i = dense.findIndex((x) => x !== null);
    if (i < 0) continue;
    const slots = dense.slice();
    slots[i] = null;
    out.push([`table ${t.id} slot ${i}`, withTable({ ...t, slots: SlotTable.of(slots) })]);
    const head = dense[i];
    if (isNode(head)) {
      for (const [f, v] of [['opcode', head.opcode + 1], ['label', head.label + 'x'], ['insns', [...head.insns, head.insns[0]]], ['next', null]] as const) {
        if (f === 'next' && head.next === null) continue;
        // A node is one object wherever it is shared: change it in every table that holds it.
        const changed = { ...head, [f]: v } as FilterNode;
        let tables = w.filters.tables;
        for (const o of w.filters.tables.values()) {
          const os = o.slots.toArray();
          if (!os.includes(head)) continue;
          tables = tables.set(o.id, { ...o, slots: SlotTable.of(os.map((x) => (x === head ? changed : x))) });
        }
        out.push([`node ${head.id} ${f}`, { ...w, filters: { ...w.filters, tables } }]);
      }
      out.push([`node ${head.id} refs`, { ...w, filters: { ...w.filters, nodeRefs: w.filters.nodeRefs.set(head.id, (w.filters.nodeRefs.get(head.id) ?? 0) + 1) } }]);
    }
  }
  out.push(['fs', { ...w, fs: { nodes: new Map([...w.fs.nodes, ['/tmp/x', { kind: 'reg', mode: 0o644, uid: 0, gid: 0 }]]) } }]);
  const someTable = [...w.filters.tables.keys()][0];
  if (someTable !== undefined) out.push(['leaked', { ...w, leaked: w.leaked.set(someTable, 1) }]);
  return out;
}

describe('kernel subject: unchanged states', () => {
  it('gives back the state itself when a move changes nothing, and a new one otherwise', () => {
    const subject = kernel('7.3');
    const u = new Universe(DEFAULT_UNIVERSE, getProfile('7.3')!);
    const nnp = run(subject, ['ring r0', 'nnp'], u);
    expect(applySteps(subject, nnp, byLabel(u, subject, nnp, 'nnp').steps).s).toBe(nnp);
    const io = run(subject, ['ring r0', 'io r0 NOP'], u);
    const again = applySteps(subject, io, byLabel(u, subject, io, 'io r0 NOP').steps);
    expect(again.s).toBe(io);
    expect(again.obs.map(obsKey)).toEqual(['sqe queued=1', 'submit ret=1 left=0', 'cqes cqes=0:0:0']);
    // A request left in the SQ of a disabled ring is a change.
    const off = run(subject, ['ring r0 flags=R_DISABLED'], u);
    const pending = applySteps(subject, off, byLabel(u, subject, off, 'io r0 NOP').steps).s;
    expect(pending).not.toBe(off);
    expect(keyText(subject, pending)).not.toBe(keyText(subject, off));
  });
});

describe('kernel state key: nothing the kernel reads is left out', () => {
  it('changes when any one value of a task, ring, set, table, node, queue, the fs or the leaks changes', () => {
    const subject = kernel('7.3');
    const u = new Universe(DEFAULT_UNIVERSE, getProfile('7.3')!);
    const rich = run(subject, ['bpf task op=NOP allow', 'ring r0', 'fork t1', 'bpf r0 op=SOCKET flags=DENY_REST unix_only', '@t1 bpf task op=NOP deny', 'io r0 SOCKET', 'nnp'], u);
    const withCqe = applySteps(subject, rich, byLabel(u, subject, rich, 'io r0 NOP').steps.slice(0, 2)).s;
    const withSqe = applySteps(subject, run(subject, ['ring r0 flags=R_DISABLED'], u), byLabel(u, subject, run(subject, ['ring r0 flags=R_DISABLED'], u), 'io r0 NOP').steps).s;
    let checked = 0;
    const kinds = new Set<string>();
    for (const s of [rich, withCqe, withSqe]) {
      const k = keyText(subject, s);
      for (const [what, m] of mutations(raw(s))) {
        expect(keyText(subject, { ...s, world: m }), what).not.toBe(k);
        kinds.add(what.replace(/ \d+/g, ''));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
    // Every kind of value was mutated somewhere.
    for (const want of ['task rs', 'task fds', 'ring filterCache', 'ring cq', 'ring sq', 'node label', 'node insns', 'node next', 'node refs', 'table slot', 'leaked', 'fs']) expect(kinds).toContain(want);
  });
});

describe('KeyBuf', () => {
  it('reads back what was put, patched counts of any size included, as the same bytes a direct put gives', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 20 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.nat(20), (xs, count, at) => {
      const cut = Math.min(at, xs.length);
      const patched = new KeyBuf(), direct = new KeyBuf();
      for (const x of xs.slice(0, cut)) patched.put(x);
      const slot = patched.reserve();
      for (const x of xs.slice(cut)) patched.put(x);
      patched.patch(slot, count);
      for (const x of [...xs.slice(0, cut), count, ...xs.slice(cut)]) direct.put(x);
      const expected = [...xs.slice(0, cut), count, ...xs.slice(cut)].map((x) => (x === -(2 ** 31) ? NaN : x));
      // (-2^31 is the escape mark: put writes it as the escape and an interned id.)
      if (!expected.some(Number.isNaN)) expect(patched.ints()).toEqual(expected);
      expect(Array.from(patched.b.subarray(0, patched.n))).toEqual(Array.from(direct.b.subarray(0, direct.n)));
    }), { numRuns: 300, seed: 5 });
  });

  it('refuses a second reservation before the first is patched', () => {
    const buf = new KeyBuf();
    buf.reserve();
    expect(() => buf.reserve()).toThrow(/reserve/);
  });
});

describe('KeySet', () => {
  it('hashes a key a word at a time as hashKeyBytes does a byte at a time, whatever the buffer held before', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 40 }), { minLength: 1, maxLength: 20 }), (keys) => {
      // One buffer reused, as the explorer does: bytes past the current key are stale.
      const buf = new KeyBuf();
      const hashes = new Map<string, number>();
      for (const k of keys) {
        buf.reset();
        for (const x of k) buf.put(x);
        const h = buf.hash();
        expect(h).toBe(hashKeyBytes(buf.b, 0, buf.n));
        // The bytes alone decide: the same bytes elsewhere, in a copy, hash alike.
        const copy = new Uint8Array(buf.n + 3);
        copy.set(buf.b.subarray(0, buf.n), 3);
        expect(hashKeyBytes(copy, 3, buf.n)).toBe(h);
        const text = k.join(',');
        if (hashes.has(text)) expect(hashes.get(text)).toBe(h);
        hashes.set(text, h);
      }
    }), { numRuns: 200 });
  });

  it('tells apart keys that differ only in bytes past a shorter one (stale bytes are masked)', () => {
    const set = new KeySet();
    const buf = new KeyBuf();
    const put = (k: number[]) => { buf.reset(); for (const x of k) buf.put(x); return set.addKey(buf); };
    expect(put([1, 2, 3, 4, 5, 6, 7])).toBe(0);
    expect(put([1, 2, 3, 4, 5])).toBe(1);
    expect(put([1, 2, 3, 4, 5, 6, 7])).toBe(-1);
    expect(put([1, 2, 3, 4, 5])).toBe(-2);
    expect(put([1, 2, 3, 4, 5, 6])).toBe(2);
  });

  it('answers like a Set of the keys as text', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 6 }), { maxLength: 300 }), (keys) => {
      const set = new KeySet();
      const plain = new Set<string>();
      const buf = new KeyBuf();
      for (const k of keys) {
        buf.reset();
        for (const x of k) buf.put(x);
        const text = k.join(',');
        expect(set.add(buf)).toBe(!plain.has(text));
        plain.add(text);
      }
      expect(set.size).toBe(plain.size);
    }), { numRuns: 200, seed: 3 });
  });

  it('keeps keys apart whose packed bytes would only differ in length', () => {
    const set = new KeySet();
    const buf = new KeyBuf();
    for (const k of [[1, 2], [1, 2, 0], [129], [1, 1], [-1], [0x7fffffff], [-(2 ** 31)], [2 ** 31], [1.5], [1.5, 0]]) {
      buf.reset();
      for (const x of k) buf.put(x);
      expect(set.add(buf)).toBe(true);
    }
    expect(set.size).toBe(10);
  });

  it('grows past its first arena and table without losing a key', () => {
    const set = new KeySet();
    const buf = new KeyBuf();
    const put = (i: number) => { buf.reset(); buf.put(i); for (let j = 0; j < 60; j++) buf.put(i * 31 + j); };
    for (let i = 0; i < 40_000; i++) { put(i); expect(set.add(buf)).toBe(true); }
    for (let i = 0; i < 40_000; i += 7) { put(i); expect(set.add(buf)).toBe(false); }
    expect(set.size).toBe(40_000);
  });

  it('finds a key again that is longer than any before it (its packing needs a larger scratch buffer)', () => {
    const set = new KeySet();
    const buf = new KeyBuf();
    for (const len of [10, 300, 1000, 5000]) {
      const put = () => { buf.reset(); for (let j = 0; j < len; j++) buf.put((j * 2654435761) | 0); };
      put();
      expect(set.add(buf)).toBe(true);
      put();
      expect(set.add(buf)).toBe(false);
    }
    expect(set.size).toBe(4);
  });

  it('keeps keys apart across storage chunks (here 4 KiB each)', () => {
    const set = new KeySet(12);
    const buf = new KeyBuf();
    const put = (i: number) => { buf.reset(); for (let j = 0; j < 1 + (i % 50); j++) buf.put(i * 7 + j); };
    for (let i = 0; i < 3000; i++) { put(i); expect(set.add(buf)).toBe(true); }
    for (let i = 0; i < 3000; i++) {
      put(i);
      expect(set.addKey(buf)).toBe(-1 - i);
      buf.reset();
      for (let j = 0; j < 1 + (i % 50); j++) buf.put(i * 7 + j);
      expect(Array.from(set.bytes(i)).length).toBeGreaterThan(0);
    }
    expect(set.size).toBe(3000);
  });
});
