// A condition's tests as one small cBPF program: each test jumps straight to where
// its outcome leads (continuation style: `a and b` is a's code, whose true exit is
// b's code and whose false exit is the deny return), so alternatives share their
// prefix and no code is unreachable. The accumulator is tracked across labels so a
// word already loaded on every way in is not loaded again.

import { BPF } from '../bpf/isa.ts';
import { insn, type Insn } from '../bpf/insn.ts';
import type { Expr, JOp, Load } from './lower.ts';

const keyOf = (l: Load) => `${l.off}/${l.and ?? '-'}/${l.rsh ?? '-'}`;
const JCODE: Record<JOp, number> = {
  jeq: BPF.JMP | BPF.JEQ | BPF.K, jgt: BPF.JMP | BPF.JGT | BPF.K, jge: BPF.JMP | BPF.JGE | BPF.K, jset: BPF.JMP | BPF.JSET | BPF.K,
};

type Item = { code: number; k: number; jt?: number; jf?: number } | { label: number };

export class TooFar extends Error {}

/** The program for "allow iff e"; the results are 1 (allow) and 0 (deny). */
export function codegen(e: Expr): Insn[] {
  if (e.k === 'const') return [insn(BPF.RET | BPF.K, 0, 0, e.v ? 1 : 0)];
  const items: Item[] = [];
  let labels = 0;
  const incoming = new Map<number, (string | null)[]>();
  let a: string | null = null;
  const ALLOW = labels++, DENY = labels++;
  const jump = (op: JOp, v: number, t: number, f: number) => {
    items.push({ code: JCODE[op], k: v, jt: t, jf: f });
    for (const l of [t, f]) incoming.set(l, [...(incoming.get(l) ?? []), a]);
  };
  const place = (l: number) => {
    items.push({ label: l });
    const ins = incoming.get(l) ?? [];
    a = ins.length && ins.every((x) => x === ins[0]) ? ins[0] : null;
  };
  const load = (l: Load) => {
    const key = keyOf(l);
    if (a === key) return;
    // The plain word is already in A: mask or shift it in place.
    if (a !== keyOf({ off: l.off }) || (l.and === undefined && l.rsh === undefined)) items.push({ code: BPF.LD | BPF.W | BPF.ABS, k: l.off });
    if (l.and !== undefined) items.push({ code: BPF.ALU | BPF.AND | BPF.K, k: l.and });
    if (l.rsh !== undefined) items.push({ code: BPF.ALU | BPF.RSH | BPF.K, k: l.rsh });
    a = key;
  };
  const gen = (x: Expr, t: number, f: number): void => {
    switch (x.k) {
      case 'const': throw new Error('constants are folded before code generation');
      case 'test': load(x.load); jump(x.op, x.v, t, f); return;
      case 'not': gen(x.x, f, t); return;
      case 'and': { const l = labels++; gen(x.a, l, f); place(l); gen(x.b, t, f); return; }
      case 'or': { const l = labels++; gen(x.a, t, l); place(l); gen(x.b, t, f); return; }
    }
  };
  gen(e, ALLOW, DENY);
  const used = (l: number) => (incoming.get(l) ?? []).length > 0;
  if (used(ALLOW)) { items.push({ label: ALLOW }); items.push({ code: BPF.RET | BPF.K, k: 1 }); }
  if (used(DENY)) { items.push({ label: DENY }); items.push({ code: BPF.RET | BPF.K, k: 0 }); }
  // Resolve labels to offsets.
  const at = new Map<number, number>();
  let pc = 0;
  for (const it of items) if ('label' in it) at.set(it.label, pc); else pc++;
  const out: Insn[] = [];
  for (const it of items) {
    if ('label' in it) continue;
    const here = out.length;
    const off = (l: number | undefined) => {
      if (l === undefined) return 0;
      const d = at.get(l)! - here - 1;
      if (d > 255) throw new TooFar(`a jump of ${d} instructions (cBPF allows at most 255)`);
      return d;
    };
    out.push(insn(it.code, off(it.jt), off(it.jf), it.k));
  }
  return out;
}
