// The validator, rule by rule. Each rule has a program that only that rule rejects
// (so removing the rule makes its row fail), next to a near miss the kernel accepts.
// Programs are written as quads so the instructions are exactly what the kernel sees.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validate, RULES, assemble, checkClassic } from '../../model/bpf/index.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { PROFILES } from '../../model/profile/profiles.ts';
import { anyInsn } from './gen.ts';

const P73 = PROFILES['7.3'];
const V5 = PROFILES.v5;

const q = (code: number, jt: number, jf: number, k: number): Insn => ({ code, jt, jf, k: k >>> 0 });
const RET1 = q(0x06, 0, 0, 1);

function prog(text: string): Insn[] {
  const r = assemble(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

interface Row {
  rule: string;
  index: number | null;
  bad: Insn[] | (() => Insn[]);
  /** The nearest program the kernel accepts. */
  good: Insn[] | (() => Insn[]);
  opts?: { ptrNull?: boolean };
}

const ROWS: Row[] = [
  { rule: 'insn-field', index: 1, bad: [q(0x20, 0, 0, 0), { code: 0x15, jt: '0' as unknown as number, jf: 0, k: 1 }, RET1, RET1], good: [q(0x20, 0, 0, 0), q(0x15, 0, 0, 1), RET1, RET1] },
  { rule: 'len-zero', index: null, bad: [], good: [RET1] },
  { rule: 'len-max', index: null, bad: () => Array(4097).fill(RET1), good: () => Array(4096).fill(RET1) },
  { rule: 'ptr-null', index: null, bad: [RET1], good: [RET1], opts: { ptrNull: true } },
  { rule: 'code-unknown', index: 0, bad: [q(0x0e, 0, 0, 0), RET1], good: [q(0x16, 0, 0, 0), RET1] }, // ret x is not allowed, ret a is
  { rule: 'code-unknown', index: 1, bad: [q(0x00, 0, 0, 0), q(0x55, 0, 0, 0), RET1], good: [q(0x00, 0, 0, 0), q(0x54, 0, 0, 0), RET1] },
  { rule: 'div-by-zero', index: 0, bad: [q(0x34, 0, 0, 0), RET1], good: [q(0x34, 0, 0, 1), RET1] },
  { rule: 'shift-range', index: 0, bad: [q(0x64, 0, 0, 32), RET1], good: [q(0x64, 0, 0, 31), RET1] },
  { rule: 'shift-range', index: 0, bad: [q(0x74, 0, 0, 0xffffffff), RET1], good: [q(0x74, 0, 0, 0), RET1] },
  { rule: 'mem-range', index: 0, bad: [q(0x02, 0, 0, 16), RET1], good: [q(0x02, 0, 0, 15), RET1] },
  { rule: 'mem-range', index: 1, bad: [q(0x02, 0, 0, 0), q(0x60, 0, 0, 16), RET1], good: [q(0x02, 0, 0, 0), q(0x60, 0, 0, 0), RET1] },
  { rule: 'ja-range', index: 0, bad: [q(0x05, 0, 0, 1), RET1], good: [q(0x05, 0, 0, 0), RET1] },
  { rule: 'ja-range', index: 0, bad: [q(0x05, 0, 0, 0xffffffff), RET1], good: [q(0x05, 0, 0, 0), RET1] },
  { rule: 'jump-range', index: 0, bad: [q(0x15, 1, 0, 0), RET1], good: [q(0x15, 0, 0, 0), RET1] },
  { rule: 'jump-range', index: 0, bad: [q(0x1d, 0, 2, 0), RET1, RET1], good: [q(0x1d, 0, 1, 0), RET1, RET1] },
  // a known extension passes the generic checker and falls to io_uring's range rule instead
  { rule: 'ancillary-unknown', index: 0, bad: [q(0x20, 0, 0, 0xfffff040), RET1], good: [q(0x20, 0, 0, 16), RET1] },
  { rule: 'ret-last', index: 1, bad: [RET1, q(0x00, 0, 0, 1)], good: [q(0x00, 0, 0, 1), RET1] },
  { rule: 'ret-last', index: 0, bad: [q(0x87, 0, 0, 0)], good: [q(0x16, 0, 0, 0)] },
  { rule: 'uninit-mem', index: 0, bad: [q(0x60, 0, 0, 3), RET1], good: [q(0x02, 0, 0, 3), q(0x60, 0, 0, 3), RET1] },
  { rule: 'ld-abs-range', index: 0, bad: [q(0x20, 0, 0, 40), RET1], good: [q(0x20, 0, 0, 36), RET1] },
  { rule: 'ld-abs-range', index: 0, bad: [q(0x20, 0, 0, 0xfffff000), RET1], good: [q(0x20, 0, 0, 0), RET1] }, // #proto: known, but beyond ctx
  { rule: 'ld-abs-align', index: 0, bad: [q(0x20, 0, 0, 2), RET1], good: [q(0x20, 0, 0, 4), RET1] },
  { rule: 'io-uring-code', index: 0, bad: [q(0x94, 0, 0, 3), RET1], good: [q(0x34, 0, 0, 3), RET1] }, // mod vs div
  { rule: 'io-uring-code', index: 0, bad: [q(0x9c, 0, 0, 0), RET1], good: [q(0x3c, 0, 0, 0), RET1] },
  { rule: 'io-uring-code', index: 0, bad: [q(0x28, 0, 0, 16), RET1], good: [q(0x20, 0, 0, 16), RET1] }, // ldh
  { rule: 'io-uring-code', index: 0, bad: [q(0x30, 0, 0, 8), RET1], good: [q(0x20, 0, 0, 8), RET1] }, // ldb
  { rule: 'io-uring-code', index: 0, bad: [q(0x40, 0, 0, 0), RET1], good: [q(0x20, 0, 0, 0), RET1] }, // ld [x+0]
  { rule: 'io-uring-code', index: 0, bad: [q(0xb1, 0, 0, 0), RET1], good: [q(0x01, 0, 0, 0), RET1] }, // ldxb msh
  { rule: 'io-uring-code', index: 0, bad: [q(0x28, 0, 0, 0xfffff000), RET1], good: [q(0x20, 0, 0, 0), RET1] }, // ldh #proto
];

const get = (x: Insn[] | (() => Insn[])) => (typeof x === 'function' ? x() : x);

describe('each rule rejects its program, and only that rule', () => {
  it.each(ROWS.map((r) => [r.rule, r.index, r] as const))('%s at %s', (rule, index, row) => {
    const v = validate(get(row.bad), P73, row.opts);
    expect(v).toMatchObject({ ok: false, errno: 22, rule, index });
    if (!v.ok) expect(v.message.length).toBeGreaterThan(10);
    const good = validate(get(row.good), P73);
    expect(good.ok).toBe(true);
  });

  it('every rule in RULES has a row', () => {
    expect(new Set(ROWS.map((r) => r.rule))).toEqual(new Set(RULES.map((r) => r.rule)));
  });
});

describe('rule order and profiles', () => {
  it('runs the generic checker before io_uring\'s: mod with a missing final ret is ret-last', () => {
    expect(validate([q(0x94, 0, 0, 3), q(0x00, 0, 0, 0)], P73)).toMatchObject({ rule: 'ret-last' });
  });

  it('reports the first failing instruction of each pass', () => {
    expect(validate([q(0x34, 0, 0, 0), q(0x64, 0, 0, 40), RET1], P73)).toMatchObject({ rule: 'div-by-zero', index: 0 });
    expect(validate([q(0x20, 0, 0, 3), q(0x94, 0, 0, 1), RET1], P73)).toMatchObject({ rule: 'ld-abs-align', index: 0 });
    // uninit-mem is checked after every per-instruction rule, even one later in the program
    expect(validate([q(0x60, 0, 0, 0), q(0x34, 0, 0, 0), RET1], P73)).toMatchObject({ rule: 'div-by-zero', index: 1 });
  });

  it('checks the length before the pointer', () => {
    expect(validate([], P73, { ptrNull: true })).toMatchObject({ rule: 'len-zero' });
  });

  it('uses the profile\'s context size: v5 has 64 bytes', () => {
    expect(validate([q(0x20, 0, 0, 60), RET1], V5).ok).toBe(true);
    expect(validate([q(0x20, 0, 0, 60), RET1], P73)).toMatchObject({ rule: 'ld-abs-range' });
    expect(validate([q(0x20, 0, 0, 64), RET1], V5)).toMatchObject({ rule: 'ld-abs-range' });
  });

  it('rewrites ld [k] to the context load and len to the context size', () => {
    const v = validate(prog('ld [16]\nld len\nldx len\nret a'), P73);
    expect(v.ok && v.program.insns).toEqual([q(0x21, 0, 0, 16), q(0x00, 0, 0, 40), q(0x01, 0, 0, 40), q(0x16, 0, 0, 0)]);
    const w = validate(prog('ld len\nret a'), V5);
    expect(w.ok && w.program.insns[0]).toEqual(q(0x00, 0, 0, 64));
    expect(w.ok && w.program.ctxWords).toBe(16);
  });

  it('keeps the caller\'s instructions untouched', () => {
    const insns = prog('ld [16]\nret a');
    validate(insns, P73);
    expect(insns[0].code).toBe(0x20);
  });
});

describe('the scratch-memory check, exactly as check_load_and_stores', () => {
  it.each([
    // a write on only one branch does not make the join point valid
    ['jeq #1, w, j\nw: st M[0]\nj: ld M[0]\nret a', 'uninit-mem', 2],
    // writes on both branches do
    ['jeq #1, w, v\nw: st M[0]\nja j\nv: st M[0]\nj: ld M[0]\nret a', null, null],
    // the instruction after a conditional starts as "all valid" unless an edge narrows it
    ['st M[1]\njeq #1, n, n\nn: ld M[1]\nret a', null, null],
    // a jump from before the write narrows its target
    ['jeq #1, r, s\ns: st M[2]\nr: ldx M[2]\nret a', 'uninit-mem', 2],
    // a RET does not reset the mask: code after it reached only by a jump that wrote is valid
    ['st M[0]\njeq #1, t, f\nt: ret #1\nf: ld M[0]\nret a', null, null],
    // an instruction reached by no edge after a ja is treated as all valid (dead code)
    ['ja e\nld M[5]\ne: ret #0', null, null],
  ])('%j', (text, rule, index) => {
    const v = validate(prog(text), P73);
    if (rule === null) expect(v.ok).toBe(true);
    else expect(v).toMatchObject({ ok: false, rule, index });
  });

  // An independent statement of the same rule, as dataflow: the cells valid on entry to
  // pc are the AND over its incoming edges (fall-through from a non-jump, RET included,
  // and every jump that targets it); no incoming edge means "all"; entry to 0 is none.
  function dataflowUninit(insns: Insn[]): number | null {
    const n = insns.length;
    const isJump = (c: number) => (c & 7) === 0x05;
    const out: number[] = [];
    for (let pc = 0; pc < n; pc++) {
      let acc = pc === 0 ? 0 : 0xffff;
      if (pc > 0 && !isJump(insns[pc - 1].code)) acc &= out[pc - 1];
      for (let j = 0; j < pc; j++) {
        const c = insns[j].code;
        if (!isJump(c)) continue;
        const ts = c === 0x05 ? [j + 1 + insns[j].k] : [j + 1 + insns[j].jt, j + 1 + insns[j].jf];
        if (ts.includes(pc)) acc &= out[j];
      }
      const { code, k } = insns[pc];
      if ((code === 0x60 || code === 0x61) && !(acc & (1 << k))) return pc;
      out.push(code === 0x02 || code === 0x03 ? acc | (1 << k) : acc);
    }
    return null;
  }

  it('agrees with the dataflow statement on random programs', () => {
    const mem = fc.record({
      pick: fc.integer({ min: 0, max: 9 }), cell: fc.integer({ min: 0, max: 3 }),
      jt: fc.integer({ min: 0, max: 4 }), jf: fc.integer({ min: 0, max: 4 }),
    });
    fc.assert(fc.property(fc.array(mem, { minLength: 1, maxLength: 14 }), (picks) => {
      const n = picks.length + 1;
      const insns: Insn[] = picks.map(({ pick, cell, jt, jf }, pc) => {
        const room = n - pc - 1;
        if (pick < 3) return q(pick === 0 ? 0x02 : 0x03, 0, 0, cell);
        if (pick < 5) return q(pick === 3 ? 0x60 : 0x61, 0, 0, cell);
        if (pick < 7) return q(0x15, jt % room, jf % room, 0);
        if (pick === 7) return q(0x05, 0, 0, jt % room);
        if (pick === 8) return q(0x06, 0, 0, 1);
        return q(0x00, 0, 0, cell);
      });
      insns.push(RET1);
      const v = validate(insns, P73);
      const expected = dataflowUninit(insns);
      if (expected === null) expect(v.ok).toBe(true);
      else expect(v).toMatchObject({ rule: 'uninit-mem', index: expected });
    }), { numRuns: 400 });
  });
});

describe('robustness', () => {
  it('never throws on arbitrary instructions, and a verdict is either a Program or -EINVAL', () => {
    fc.assert(fc.property(fc.array(anyInsn, { maxLength: 12 }), (insns) => {
      const v = validate(insns, P73);
      if (!v.ok) expect(v.errno).toBe(22);
      else expect(v.program.insns.length).toBe(insns.length);
    }), { numRuns: 300 });
  });

  it('the program keeps its own array: rewritten instructions are new, the others the same, and k is a u32', () => {
    const insns = [q(0x20, 0, 0, 16), { code: 0x04, jt: 0, jf: 0, k: -1 }, q(0x80, 0, 0, 0), q(0x16, 0, 0, 0)];
    const v = validate(insns, P73);
    if (!v.ok) throw new Error(v.message);
    const out = v.program.insns;
    expect(out).not.toBe(insns);
    expect(out).toEqual([q(0x21, 0, 0, 16), q(0x04, 0, 0, 0xffffffff), q(0x00, 0, 0, 40), q(0x16, 0, 0, 0)]);
    expect(out[3]).toBe(insns[3]);
    insns.push(RET1);
    insns[3] = RET1;
    expect(out.length).toBe(4);
    expect(out[3]).toEqual(q(0x16, 0, 0, 0));
  });

  it('checkClassic alone accepts what io_uring then rejects', () => {
    expect(checkClassic([q(0x94, 0, 0, 3), RET1])).toBeNull();
  });
});
