// What the policy property tests share: the kernel's filter-table rule restated on its
// own (kernel-semantics.md §2.4 E, §8.1-8.4), the VM on a chain, and the contexts a
// kernel builds for random raw request values.

import fc from 'fast-check';
import { packContext } from '../../model/bpf/context.ts';
import { validate } from '../../model/bpf/validate.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { opLastFor, type KernelProfile } from '../../model/profile/profiles.ts';
import { fieldsOf } from '../../model/policy/fields.ts';

export type TestChain = ('DENY' | readonly Insn[])[];

/** A holder's table after registrations: each goes in front of its slot; DENY_REST fills the slots empty at that moment. */
export function tableWith(k: KernelProfile, start: readonly (readonly ('DENY' | readonly Insn[])[])[], regs: readonly { opcode: number; flags: number; insns: readonly Insn[] }[]): TestChain[] {
  const slots: TestChain[] = Array.from({ length: opLastFor(k) }, (_, op) => [...(start[op] ?? [])]);
  for (const r of regs) {
    slots[r.opcode].unshift(r.insns);
    if (r.flags & 1) slots.forEach((s, i) => { if (i !== r.opcode && s.length === 0) s.push('DENY'); });
  }
  return slots;
}

/** Newest first, all must allow, DENY denies. */
export function chainVerdict(k: KernelProfile, chain: TestChain, ctx: Uint32Array): boolean {
  for (const f of chain) {
    if (f === 'DENY') return false;
    const v = validate(f, k);
    if (!v.ok) throw new Error(v.message);
    if (v.program.run(ctx) === 0) return false;
  }
  return true;
}

/** What the kernel passes for a request with these raw values, and the context it builds. */
export function passed(k: KernelProfile, op: number, raw: Record<string, bigint>): { fields: Record<string, bigint>; ctx: Uint32Array } {
  const member = k.payloads[op];
  const fields: Record<string, bigint> = {};
  const vals: [string, bigint][] = [['opcode', BigInt(op)], ['pdu_size', BigInt(k.pduSizes[op] ?? 0)]];
  for (const f of fieldsOf(op)) {
    if (member !== f.member) continue;
    const width = f.member === 'open' ? 64n : f.ctx === 'connect.family' || f.ctx === 'connect.port' ? 16n : 32n;
    let v = BigInt.asUintN(Number(width), raw[f.name] ?? 0n);
    if (f.ctx === 'socket.type' && k.socketTypeMasked) v &= 0xfn; // 7.3: type & SOCK_TYPE_MASK
    fields[f.ctx] = v;
    vals.push([f.ctx, v]);
  }
  const ctx = packContext(k.ctx, vals);
  if (!ctx.ok) throw new Error(ctx.error.message);
  return { fields, ctx: ctx.value };
}

export const rawArb = fc.record({ family: fc.bigInt({ min: 0n, max: 0xffffffffn }), type: fc.bigInt({ min: 0n, max: 0xffffffffn }), protocol: fc.bigInt({ min: 0n, max: 0xffffffffn }),
  flags: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), mode: fc.bigInt({ min: 0n, max: 0xffffn }), resolve: fc.bigInt({ min: 0n, max: 0x3fn }),
  port: fc.bigInt({ min: 0n, max: 0xffffn }), addr: fc.bigInt({ min: 0n, max: 0xffffffffn }) });
