// Runtime semantics (kernel-semantics.md §5.4), each case's expected value worked out
// by hand, checked on every engine: the interpreter, the compiled evaluator in both of
// its code shapes, and the tiered Program cold and hot. Then the differential property:
// on random valid programs and contexts, all engines agree with a plain reference.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assemble, validate, interpret, compile, compileSource, type Program, type TraceStep } from '../../model/bpf/index.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { PROFILES } from '../../model/profile/profiles.ts';
import { validProgram, ctxFor } from './gen.ts';

const P73 = PROFILES['7.3'];

function load(text: string, profile = P73, hotThreshold?: number): Program {
  const r = assemble(text, { layout: profile.ctx });
  if (!r.ok) throw new Error(r.error.message);
  const v = validate(r.value, profile, { hotThreshold });
  if (!v.ok) throw new Error(`${v.rule}: ${v.message}`);
  return v.program;
}

/** Every engine's answer; they must agree. */
function runAll(p: Program, ctx: Uint32Array): number {
  const results = [
    interpret(p, ctx),
    compile(p)(ctx),
    compile(p, 'switch')(ctx),
    compile(p, 'blocks')(ctx),
    p.run(ctx),
  ];
  for (const r of results) expect(r).toBe(results[0]);
  return results[0];
}

function ctxOf(words: Record<number, number> = {}, n = 10): Uint32Array {
  const c = new Uint32Array(n);
  for (const [i, v] of Object.entries(words)) c[Number(i)] = v;
  return c;
}

describe('arithmetic is unsigned 32-bit', () => {
  it.each([
    ['ld #0xffffffff\nadd #1\nret a', 0],
    ['ld #0\nsub #1\nret a', 0xffffffff],
    ['ld #0xffffffff\nmul #0xffffffff\nret a', 1],
    ['ld #0x10000\nmul #0x10000\nret a', 0],
    ['ld #0xffffffff\ndiv #2\nret a', 0x7fffffff],
    ['ld #7\ndiv #0xffffffff\nret a', 0],
    ['ld #0xfffffffe\ndiv #0xffffffff\nret a', 0],
    ['ld #0xffffffff\ndiv #0xffffffff\nret a', 1],
    ['ld #1\nneg\nret a', 0xffffffff],
    ['ld #0\nneg\nret a', 0],
    ['ld #0x80000000\nneg\nret a', 0x80000000],
    ['ld #0xf0f0f0f0\nand #0xff00ff00\nret a', 0xf000f000],
    ['ld #0xf0f0f0f0\nor #0x0f\nret a', 0xf0f0f0ff],
    ['ld #0xffffffff\nxor #0x0f0f0f0f\nret a', 0xf0f0f0f0],
    ['ld #1\nlsh #31\nret a', 0x80000000],
    ['ld #0x80000000\nrsh #31\nret a', 1],
  ])('%j = %i', (text, expected) => {
    expect(runAll(load(text), ctxOf())).toBe(expected >>> 0);
  });

  it('0x12345 * 0x10001 wraps', () => {
    // 0x12345 * 0x10001 = 0x123450000 + 0x12345 = 0x123462345 -> low 32 bits 0x23462345
    expect(runAll(load('ld #0x12345\nmul #0x10001\nret a'), ctxOf())).toBe(0x23462345);
  });
});

describe('X operands, shifts by X, division by X', () => {
  it.each([
    ['ldx #33\nld #1\nlsh x\nret a', 2], // shift count X & 31
    ['ldx #32\nld #5\nlsh x\nret a', 5],
    ['ldx #32\nld #0x80000000\nrsh x\nret a', 0x80000000],
    ['ldx #63\nld #0x80000000\nrsh x\nret a', 1],
    ['ldx #3\nld #10\ndiv x\nret a', 3],
    ['ldx #0\nld #10\ndiv x\nret #1', 0], // DIV by X == 0 returns 0 at once
    ['ldx #5\nld #3\nsub x\nret a', 0xfffffffe],
    ['ld #9\ntax\nld #0\ntxa\nret a', 9],
  ])('%j = %i', (text, expected) => {
    expect(runAll(load(text), ctxOf())).toBe(expected >>> 0);
  });
});

describe('jumps compare unsigned', () => {
  it.each([
    ['ld #0x80000000\njgt #1, y, n\ny: ret #1\nn: ret #2', 1],
    ['ld #1\njgt #0x80000000, y, n\ny: ret #1\nn: ret #2', 2],
    ['ld #5\njge #5, y, n\ny: ret #1\nn: ret #2', 1],
    ['ld #6\njset #9, y, n\ny: ret #1\nn: ret #2', 2],
    ['ld #6\njset #2, y, n\ny: ret #1\nn: ret #2', 1],
    ['ld #0xffffffff\njeq #-1, y, n\ny: ret #1\nn: ret #2', 1],
    ['ldx #0xffffffff\nld #0xffffffff\njeq x, y, n\ny: ret #1\nn: ret #2', 1],
    ['ldx #7\nld #3\njgt x, y\nret #9\ny: ret #1', 9],
    ['ja s\nret #1\ns: ret #2', 2],
  ])('%j = %i', (text, expected) => {
    expect(runAll(load(text), ctxOf())).toBe(expected);
  });
});

describe('context and scratch memory', () => {
  it('loads little-endian words at the offsets of the 40-byte context', () => {
    const p = load('ld [user_data + 4]\nret a');
    expect(runAll(p, ctxOf({ 0: 0x11, 1: 0xdeadbeef }))).toBe(0xdeadbeef);
    expect(runAll(load('ld [socket.protocol]\nret a'), ctxOf({ 6: 17 }))).toBe(17);
    expect(runAll(load('ld [36]\nret a'), ctxOf({ 9: 0xabcdef01 }))).toBe(0xabcdef01);
  });

  it('len is the profile\'s context size', () => {
    expect(runAll(load('ld len\nret a'), ctxOf())).toBe(40);
    expect(runAll(load('ldx len\ntxa\nret a', PROFILES.v5), ctxOf({}, 16))).toBe(64);
    expect(runAll(load('ld [60]\nret a', PROFILES.v5), ctxOf({ 15: 5 }, 16))).toBe(5);
  });

  it('stores and reloads scratch cells along the path taken', () => {
    const p = load('ld [0]\njeq #1, w, r\nw: ld #77\nst M[3]\nr: st M[4]\nldx M[4]\ntxa\nret a');
    expect(runAll(p, ctxOf({ 0: 1 }))).toBe(77);
    expect(runAll(p, ctxOf({ 0: 2 }))).toBe(2);
  });

  it('returns any u32; 0 is deny', () => {
    expect(runAll(load('ret #0xffffffff'), ctxOf())).toBe(0xffffffff);
    expect(runAll(load('ret #0'), ctxOf())).toBe(0);
  });
});

describe('trace mode', () => {
  it('records each executed step with registers and the touched cell', () => {
    const p = load('ld [socket.family]\nst M[2]\nldx M[2]\njeq #2, a, b\na: ret #0\nb: ret #1');
    const steps: TraceStep[] = [];
    const r = interpret(p, ctxOf({ 4: 10 }), (s) => steps.push(s));
    expect(r).toBe(1);
    expect(steps.map((s) => s.pc)).toEqual([0, 1, 2, 3, 5]);
    expect(steps[0]).toMatchObject({ a: 10, load: { offset: 16, value: 10 } });
    expect(steps[1]).toMatchObject({ mem: { cell: 2, value: 10, write: true } });
    expect(steps[2]).toMatchObject({ x: 10, mem: { cell: 2, value: 10, write: false } });
    expect(steps[3]).toMatchObject({ taken: false, next: 5 });
    expect(steps[4]).toMatchObject({ ret: 1 });
  });

  it('notes the early return of a division by X == 0', () => {
    const steps: TraceStep[] = [];
    expect(interpret(load('ld #4\ndiv x\nret #1'), ctxOf(), (s) => steps.push(s))).toBe(0);
    expect(steps[1]).toMatchObject({ ret: 0, note: expect.stringContaining('X == 0') });
  });
});

describe('tiering', () => {
  it('interprets while cold, then swaps run for the compiled function', () => {
    const p = load('ld [16]\nret a', P73, 3);
    const cold = p.run;
    const ctx = ctxOf({ 4: 42 });
    for (let n = 0; n < 3; n++) expect(p.run(ctx)).toBe(42);
    expect(p.run).toBe(cold);
    expect(p.run(ctx)).toBe(42);
    expect(p.run).not.toBe(cold);
    expect(cold(ctx)).toBe(42); // a stale reference is forwarded
  });

  it('never compiles with an infinite threshold', () => {
    const p = load('ret #1', P73, Infinity);
    const first = p.run;
    for (let n = 0; n < 50; n++) p.run(ctxOf());
    expect(p.run).toBe(first);
  });

  it('shares code between programs that differ only in constants, but not their constants', () => {
    const p1 = load('ld [16]\njeq #AF_INET, d\nadd #5\nret a\nd: ret #0');
    const p2 = load('ld [16]\njeq #AF_INET6, d\nadd #7\nret a\nd: ret #0');
    expect(compileSource(p1.insns)).toBe(compileSource(p2.insns));
    const f1 = compile(p1);
    const f2 = compile(p2);
    const inet = ctxOf({ 4: 2 });
    const inet6 = ctxOf({ 4: 10 });
    expect([f1(inet), f1(inet6), f2(inet), f2(inet6)]).toEqual([0, 15, 9, 0]); // 10 + 5; 2 + 7
  });

  it('compiles to nested blocks, or to a switch for very many targets', () => {
    const p = load('ld [16]\njeq #1, y\nret #0\ny: ret #1');
    expect(compileSource(p.insns)).toContain('break L3');
    expect(compileSource(p.insns, 'switch')).toContain('switch (pc)');
  });
});

/** The reference: a plain reading of §5.4, one instruction at a time, over the original codes. */
function reference(insns: readonly Insn[], ctx: Uint32Array, ctxSize: number): number {
  let a = 0, x = 0, pc = 0;
  const m: number[] = [];
  const u = (v: number) => v >>> 0;
  for (;;) {
    const { code, jt, jf } = insns[pc];
    const k = insns[pc].k >>> 0;
    const v = code & 0x08 ? x : k;
    switch (code) {
      case 0x00: a = k; break;
      case 0x01: x = k; break;
      case 0x20: a = ctx[k / 4]; break;
      case 0x80: a = ctxSize; break;
      case 0x81: x = ctxSize; break;
      case 0x60: a = m[k]; break;
      case 0x61: x = m[k]; break;
      case 0x02: m[k] = a; break;
      case 0x03: m[k] = x; break;
      case 0x07: x = a; break;
      case 0x87: a = x; break;
      case 0x84: a = u(0x100000000 - a); break;
      case 0x06: return k;
      case 0x16: return a;
      case 0x05: pc += 1 + k; continue;
      default: {
        const op = code & 0xf0;
        if ((code & 7) === 0x04) {
          if (op === 0x00) a = u(a + v);
          else if (op === 0x10) a = u(a - v);
          else if (op === 0x20) a = Number((BigInt(a) * BigInt(v)) & 0xffffffffn);
          else if (op === 0x30) { if (v === 0) return 0; a = Math.floor(a / v); }
          else if (op === 0x40) a = u(a | v);
          else if (op === 0x50) a = u(a & v);
          else if (op === 0xa0) a = u(a ^ v);
          else if (op === 0x60) a = Number((BigInt(a) << BigInt(v % 32)) & 0xffffffffn);
          else if (op === 0x70) a = Math.floor(a / 2 ** (v % 32));
          break;
        }
        const cond = op === 0x10 ? a === v : op === 0x20 ? a > v : op === 0x30 ? a >= v : (a & v) !== 0;
        pc += 1 + (cond ? jt : jf);
        continue;
      }
    }
    pc++;
  }
}

describe('differential: every engine agrees with the reference', () => {
  for (const [name, profile] of [['7.3', P73], ['v5', PROFILES.v5]] as const) {
    it(`on random valid programs and contexts (${name})`, () => {
      const size = profile.ctx.size;
      const arb = validProgram(size).chain((insns) => fc.tuple(fc.constant(insns), fc.array(ctxFor(insns, size / 4), { minLength: 1, maxLength: 4 })));
      fc.assert(fc.property(arb, ([insns, ctxs]) => {
        const v = validate(insns, profile, { hotThreshold: 1 });
        if (!v.ok) throw new Error(`generator made an invalid program: ${v.rule} ${v.message}`);
        const blocks = compile(v.program, 'blocks');
        const sw = compile(v.program, 'switch');
        for (const ctx of ctxs) {
          const want = reference(insns, ctx, size);
          expect(interpret(v.program, ctx)).toBe(want);
          const steps: number[] = [];
          expect(interpret(v.program, ctx, (s) => steps.push(s.pc))).toBe(want); // trace mode too
          expect(steps.length).toBeGreaterThan(0);
          expect(blocks(ctx)).toBe(want);
          expect(sw(ctx)).toBe(want);
          expect(v.program.run(ctx)).toBe(want); // the first call interprets, later ones run compiled
          expect(v.program.run(ctx)).toBe(want);
        }
      }), { numRuns: 200 });
    });
  }
});

describe('the interpreter switch uses the OPS numbers', () => {
  it('each literal case label matches OPS', async () => {
    const { readFileSync } = await import('node:fs');
    const { OPS } = await import('../../model/bpf/program.ts');
    const src = readFileSync(new URL('../../model/bpf/interpret.ts', import.meta.url), 'utf8');
    const cases = [...src.matchAll(/case (\d+) \/\* ([A-Z_]+) \*\//g)];
    expect(cases.length).toBe(Object.keys(OPS).length);
    for (const [, n, name] of cases) expect(OPS[name as keyof typeof OPS]).toBe(Number(n));
  });
});
