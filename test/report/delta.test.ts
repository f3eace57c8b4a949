// The world delta: IntMap.changedKeys against a plain comparison of every key,
// worldDelta against describeWorld before and after, and explain's output growing
// with the trace (a doubling run over a fork chain).

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IntMap } from '../../model/pmap/intmap.ts';
import { getProfile } from '../../model/profile/profiles.ts';
import { describeWorld as modelView } from '../../model/world/describe.ts';
import { parseTraceFile } from '../../sim/trace/parse.ts';
import { stepTrace, stepState } from '../../sim/report/steps.ts';
import { renderDelta } from '../../sim/report/delta.ts';
import { memoryIo } from '../../sim/cli/io.ts';
import { main } from '../../sim/cli/main.ts';

describe('IntMap.changedKeys', () => {
  it('finds exactly the keys whose value differs (by identity), in ascending order', () => {
    const op = fc.oneof(
      fc.record({ k: fc.nat(3000), del: fc.constant(false), v: fc.nat(4) }),
      fc.record({ k: fc.nat(3000), del: fc.constant(true), v: fc.constant(0) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), fc.array(op, { maxLength: 20 }), (base, step) => {
      const vals = [{}, {}, {}, {}, {}];
      let a = IntMap.empty<object>();
      for (const o of base) a = o.del ? a.delete(o.k) : a.set(o.k, vals[o.v]);
      let b = a;
      for (const o of step) b = o.del ? b.delete(o.k) : b.set(o.k, vals[o.v]);
      const seen: number[] = [];
      a.changedKeys(b, (k) => seen.push(k));
      // Independent statement: every key of either map whose get() differs.
      const keys = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
      expect(seen).toEqual(keys.filter((k) => a.get(k) !== b.get(k)));
    }), { numRuns: 300 });
  });
});

function trace(text: string) {
  const f = parseTraceFile('t.trace', text);
  if (!f.ok) throw new Error(f.error[0].message);
  return f.value.traces[0];
}

const COW = `trace cow
  bpf task op=NOP allow => 0
  ring r => 0
  bpf task op=NOP deny => 0
  fork c => 0
end
`;

describe('worldDelta', () => {
  it('names every table and node whose refcount changed, with before and after as describeWorld gives them', () => {
    for (const p of ['7.2', '7.3']) {
      const s = stepTrace(trace(COW), getProfile(p)!);
      for (let i = 0; i < s.steps.length; i++) {
        const before = modelView(i === 0 ? s.start : s.steps[i - 1].world);
        const after = modelView(s.steps[i].world);
        const { delta } = stepState(s, i);
        const refs = (v: ReturnType<typeof modelView>) => new Map(v.tables.map((t) => [`table:${t.id}`, String(t.refs)]));
        const rb = refs(before), ra = refs(after);
        for (const id of new Set([...rb.keys(), ...ra.keys()])) {
          const c = delta.changes.find((x) => x.id === id);
          if (rb.get(id) === ra.get(id)) expect(c?.fields.find((f) => f.field === 'refs')).toBeUndefined();
          else expect(c!.fields.find((f) => f.field === 'refs')).toEqual({ field: 'refs', before: rb.get(id) ?? null, after: ra.get(id) ?? null });
        }
      }
    }
  });

  it('the fork on 7.3 marks both holders COW and adds a child holding the ring', () => {
    const s = stepTrace(trace(COW), getProfile('7.3')!);
    const text = renderDelta(stepState(s, 3).delta);
    expect(text).toContain('+ task c: parent init');
    expect(text).toContain('rings fd 3 -> R1 (init:r)');
    expect(text).toContain('~ table T2: refs 1 -> 2');
    expect(text).toContain('~ task init: cow no -> yes');
  });
});

function chain(n: number): string {
  const lines = ['trace chain', '  bpf task op=NOP allow => 0', '  ring r => 0', '  fork c0'];
  for (let i = 1; i < n; i++) lines.push(`  @c${i - 1} fork c${i}`);
  return lines.join('\n') + '\nend\n';
}

async function explainBytes(text: string, args: string[] = []): Promise<number> {
  const io = memoryIo({ 'c.trace': text });
  expect(await main(['explain', '--no-invariants', ...args, 'c.trace'], io)).toBe(0);
  return io.stdout.length;
}

describe('explain output grows with the trace', () => {
  it('doubling a fork chain doubles the default output (not four times)', async () => {
    const a = await explainBytes(chain(300)), b = await explainBytes(chain(600));
    expect(b / a).toBeGreaterThan(1.8);
    expect(b / a).toBeLessThan(2.3);
  });

  it('--every N shows the whole state every N steps; --full every step', async () => {
    const io = memoryIo({ 'c.trace': chain(20) });
    await main(['explain', '--no-invariants', '--every', '5', 'c.trace'], io);
    expect(io.stdout.match(/state after this step:/g)).toHaveLength(5); // steps 0, 5, 10, 15, 20
    const full = memoryIo({ 'c.trace': chain(20) });
    await main(['explain', '--no-invariants', '--full', 'c.trace'], full);
    expect(full.stdout.match(/state after this step:/g)).toHaveLength(22);
  });

  it('numeric options have a range and a clear message', async () => {
    for (const bad of [['--every', '0'], ['--every', 'x'], ['--every', ''], ['--step', '-1'], ['--every', '1000000000']]) {
      const io = memoryIo({ 'c.trace': COW });
      expect(await main(['explain', ...bad, 'c.trace'], io)).toBe(2);
      expect(io.stderr).toMatch(/--(every|step)/);
    }
  });
});

describe('explain --json and --svg', () => {
  it('one object per step with its delta; the diagram where the whole state is asked for', async () => {
    const io = memoryIo({ 'c.trace': COW });
    expect(await main(['explain', '--kernel', '7.3', '--json', '--step', '3', 'c.trace'], io)).toBe(0);
    const lines = io.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[3].command).toBe('fork c');
    expect(lines[3].expect).toEqual({ text: '0', held: true });
    const boxes = new Map(lines[3].diagram.boxes.map((b: { id: string }) => [b.id, b]));
    expect(boxes.get('table:2')).toMatchObject({ refs: 2, marks: ['changed', 'shared'] });
    expect(lines[2].diagram).toBeUndefined();
    expect(lines[4]).toMatchObject({ verdict: 'pass' });
  });

  it('--svg draws one step with ids, refcounts and marks', async () => {
    const io = memoryIo({ 'c.trace': COW });
    expect(await main(['explain', '--kernel', '7.2', '--svg', '--step', '1', 'c.trace'], io)).toBe(0);
    expect(io.stdout).toMatch(/^<svg xmlns/);
    expect(io.stdout).toContain('data-id="table:1" data-refs="2" data-marks="changed shared"');
    expect(io.stdout).toContain('class="arrow table changed cow" data-id="ring:1/table"');
    expect(io.stdout).toContain('ring init:r');
  });
});
