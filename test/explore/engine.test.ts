// The explorer: state hashing only merges states that answer every continuation
// alike, breadth-first search reports shortest sequences, and the 7.2/7.3 diff
// finds the copy-on-write difference.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getProfile } from '../../model/profile/profiles.ts';
import { OP } from '../../model/abi/opcodes.ts';
import { explore } from '../../sim/explore/engine.ts';
import { obsKey, type Step } from '../../sim/explore/observe.ts';
import { referenceSubject } from '../../sim/explore/reference/subject.ts';
import { DEFAULT_UNIVERSE, Universe, type UniverseSpec } from '../../sim/explore/universe.ts';
import { makeDiffSubject } from '../../sim/explore/run.ts';
import { keyText, type Subject } from '../../sim/explore/subject.ts';
import type { World } from '../../sim/explore/reference/state.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { toTraceText } from '../../sim/explore/print.ts';

const P73 = getProfile('7.3')!;
const SMALL: UniverseSpec = { ...DEFAULT_UNIVERSE, lifecycle: false };

/** Observations of a move sequence from a state. */
function run(subject: Subject<World>, s: World, moves: { steps: Step[] }[]): string[] {
  const out: string[] = [];
  for (const m of moves) for (const st of m.steps) { const r = subject.apply(s, st); s = r.s; out.push(obsKey(r.obs)); }
  return out;
}

describe('state hashing', () => {
  for (const name of ['7.2', '7.3', '6.18']) {
    it(`states with one key answer every continuation alike (${name})`, () => {
      const p = getProfile(name)!;
      const subject = referenceSubject(p);
      const u = new Universe(SMALL, p);
      // Every state up to depth 2 without merging, grouped by key.
      const byKey = new Map<string, World[]>();
      const walk = (s: World, d: number) => {
        const k = keyText(subject, s);
        const l = byKey.get(k) ?? [];
        if (l.length < 4) l.push(s);
        byKey.set(k, l);
        if (d === 0) return;
        for (const m of u.moves(subject.shape(s))) {
          let t = s;
          for (const st of m.steps) t = subject.apply(t, st).s;
          walk(t, d - 1);
        }
      };
      walk(subject.init(), 2);
      const merged = [...byKey.values()].filter((l) => l.length > 1);
      expect(merged.length).toBeGreaterThan(2);
      // Random continuations of three moves from merged states must agree.
      fc.assert(fc.property(fc.nat(merged.length - 1), fc.array(fc.nat(1000), { minLength: 3, maxLength: 3 }), (gi, picks) => {
        const [a, ...rest] = merged[gi];
        const moves: { steps: Step[] }[] = [];
        let s = a;
        for (const x of picks) {
          const ms = u.moves(subject.shape(s));
          const m = ms[x % ms.length];
          moves.push(m);
          for (const st of m.steps) s = subject.apply(s, st).s;
        }
        const want = run(subject, a, moves);
        for (const b of rest) expect(run(subject, b, moves)).toEqual(want);
      }), { numRuns: 300, seed: 7 });
    });
  }
});

describe('breadth-first exploration', () => {
  it('reports a planted invariant violation with a shortest sequence', () => {
    const base = referenceSubject(P73);
    // Planted: a task may not hold a ring while having no_new_privs set. Needs two moves.
    const planted: Subject<World> = {
      ...base,
      check: (w) => (w.tasks.some((t) => t.nnp && t.fds.size > 0) ? ['planted: nnp task holds a ring'] : []),
    };
    const r = explore(planted, new Universe(DEFAULT_UNIVERSE, P73), { depth: 3, stopAtFirst: true });
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0].kind).toBe('invariant');
    expect(r.findings[0].moves).toHaveLength(2);
    expect(r.findings[0].moves.sort()).toEqual(['nnp', 'ring r0']);
  });

  it('counts each distinct state once and covers a depth completely', () => {
    const u = new Universe(SMALL, P73);
    const r = explore(referenceSubject(P73), u, { depth: 2 });
    expect(r.complete).toBe(true);
    expect(r.states).toBe(r.perDepth.reduce((a, b) => a + b, 0));
    // Depth 1: every move from the initial state gives a different state except the no-ops.
    const subject = referenceSubject(P73);
    const s0 = subject.init();
    const keys = new Set(u.moves(subject.shape(s0)).map((m) => { let s = s0; for (const st of m.steps) s = subject.apply(s, st).s; return keyText(subject, s); }));
    keys.delete(keyText(subject, s0));
    expect(r.perDepth[1]).toBe(keys.size);
  });
});

describe('--diff', () => {
  it('finds the 7.2/7.3 copy-on-write difference as a 4-move sequence, written as a trace that parses', async () => {
    const { subject } = await makeDiffSubject('reference', getProfile('7.2')!, P73);
    // A lean universe keeps the test quick; the full one is measured in the bench.
    const lean: UniverseSpec = { ...DEFAULT_UNIVERSE, opcodes: [OP.NOP], programs: ['allow', 'deny'], denyRest: false, lifecycle: false };
    const r = explore(subject, new Universe(lean, getProfile('7.2')!), { depth: 4, wantKinds: (k) => k.startsWith('cqes') });
    const cow = r.findings.find((f) => f.kind.startsWith('cqes'));
    expect(cow, r.findings.map((f) => f.kind).join('\n')).toBeDefined();
    expect(cow!.kind).toBe('cqes cqes: -EACCES on 7.2, ok on 7.3');
    expect(cow!.moves).toHaveLength(4);
    // The shape of every shortest witness: a task filter, a ring that shares the table,
    // a second task filter (in place on 7.2, private on 7.3), then a request.
    expect(cow!.moves[0]).toMatch(/^bpf task/);
    expect(cow!.moves[1]).toMatch(/^ring r0/);
    expect(cow!.moves[2]).toMatch(/^bpf task/);
    expect(cow!.moves[3]).toMatch(/^io r0/);
    const text = toTraceText(cow!.steps, { name: 'cow', kernels: ['7.2', '7.3'] });
    const parsed = parseTraceFile('cow.trace', text);
    expect(parsed.ok).toBe(true);
  });

  it('finds the legacy change between 6.18 and 7.0 (register ops after an SQE-only restriction)', async () => {
    const { subject } = await makeDiffSubject('reference', getProfile('6.18')!, getProfile('7.0')!);
    const r = explore(subject, new Universe({ ...DEFAULT_UNIVERSE, opcodes: [OP.NOP], lifecycle: false }, getProfile('6.18')!), { depth: 4 });
    const kinds = r.findings.map((f) => f.kind);
    expect(kinds).toContain('register ret: -EACCES on 6.18, 0 on 7.0');
    const f = r.findings.find((x) => x.kind === 'register ret: -EACCES on 6.18, 0 on 7.0')!;
    expect(f.moves).toEqual(['ring r0 flags=R_DISABLED', 'restrict r0 sqe_op:NOP', 'enable r0', 'register r0 PROBE']);
  });
});
