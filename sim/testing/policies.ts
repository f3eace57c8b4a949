// Random policies (docs/policy.md) for property tests and the policy-random bench:
// every operator, every field, values near the interesting constants, kernel sets
// that can express them. Here rather than under test/ so the bench (sim/) does not
// depend on the tests.

import fc from 'fast-check';
import { OP } from '../../model/abi/opcodes.ts';
import type { Cond, Policy, Rule } from '../../model/policy/ast.ts';
import { fieldsOf, type PolicyField } from '../../model/policy/fields.ts';
import type { ProfileName } from '../../model/profile/profiles.ts';
import type { Insn } from '../../model/bpf/insn.ts';
import { compilePolicy } from '../../model/policy/compile.ts';
import { validProgram } from './programs.ts';

const VALUES = [0, 1, 2, 3, 6, 10, 17, 0x40, 0x80, 0x200, 0x8000, 0x1bb, 0x1f90, 0x5000, 0xfffe, 0xffff, 0x10000, 0x7f000001, 0xfffffffe, 0xffffffff];

const valueFor = (f: PolicyField) => fc.oneof(fc.constantFrom(...VALUES), fc.nat()).map((v) => Math.min(v, f.mask ?? f.max));

function atomArb(f: PolicyField): fc.Arbitrary<Cond> {
  const opts: fc.Arbitrary<Cond>[] = [
    fc.record({ op: fc.constantFrom('==', '!=') as fc.Arbitrary<'==' | '!='>, v: valueFor(f) }).map(({ op, v }) => ({ k: 'cmp', field: f.name, op, value: v } as Cond)),
    fc.record({ negated: fc.boolean(), items: fc.array(valueFor(f), { minLength: 1, maxLength: 3 }) })
      .map(({ negated, items }) => ({ k: 'in', field: f.name, negated, items: items.map((v) => ({ lo: v, hi: v })) } as Cond)),
  ];
  if (!f.eqOnly) {
    opts.push(fc.record({ op: fc.constantFrom('<', '<=', '>', '>=') as fc.Arbitrary<'<'>, v: valueFor(f) }).map(({ op, v }) => ({ k: 'cmp', field: f.name, op, value: v } as Cond)));
    opts.push(fc.record({ negated: fc.boolean(), a: valueFor(f), b: valueFor(f) }).map(({ negated, a, b }) => ({ k: 'in', field: f.name, negated, items: [{ lo: Math.min(a, b), hi: Math.max(a, b) }] } as Cond)));
  }
  if (!f.eqOnly && f.mask === undefined) {
    opts.push(fc.record({ k: fc.constantFrom('has', 'lacks') as fc.Arbitrary<'has' | 'lacks'>, bits: fc.tuple(fc.integer({ min: 1, max: 0xffffffff }), fc.boolean()).map(([x, small]) => ((small ? x & 0xff : x) >>> 0) || 1) })
      .map(({ k, bits }) => ({ k, field: f.name, bits: Math.min(bits, f.max) || 1 } as Cond)));
  }
  return fc.oneof(...opts);
}

export function condArb(opcode: number, depth = 2): fc.Arbitrary<Cond> {
  const fields = fieldsOf(opcode);
  const leaf = fc.constantFrom(...fields).chain(atomArb);
  if (depth === 0) return leaf;
  const sub = condArb(opcode, depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.tuple(sub, sub).map(([a, b]) => ({ k: 'and', a, b } as Cond)) },
    { weight: 1, arbitrary: fc.tuple(sub, sub).map(([a, b]) => ({ k: 'or', a, b } as Cond)) },
    { weight: 1, arbitrary: sub.map((x) => ({ k: 'not', x } as Cond)) },
  );
}

const OPS = [OP.NOP, OP.READ, OP.WRITE, OP.SOCKET, OP.OPENAT, OP.OPENAT2, OP.CONNECT, OP.CLOSE];
const PAYLOAD = new Set([OP.SOCKET, OP.OPENAT, OP.OPENAT2, OP.CONNECT]);

export const policyArb: fc.Arbitrary<Policy> = fc.record({
  holder: fc.constantFrom('task', 'ring') as fc.Arbitrary<'task' | 'ring'>,
  kernels: fc.constantFrom<ProfileName[]>(['7.0', '7.1', '7.2', '7.3'], ['7.2', '7.3'], ['7.3'], ['7.0'], ['7.1', '7.2']),
  ops: fc.uniqueArray(fc.constantFrom(...OPS), { maxLength: 5 }),
  rest: fc.constantFrom('allow', 'deny') as fc.Arbitrary<'allow' | 'deny'>,
  seed: fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 8, maxLength: 8 }),
}).chain(({ holder, kernels, ops, rest, seed }) => {
  const connectOk = kernels.every((k) => k === '7.2' || k === '7.3');
  const rules = ops.map((op, i) => {
    const action: 'allow' | 'deny' = seed[i][0] ? 'allow' : 'deny';
    const conditional = seed[i][1] && PAYLOAD.has(op) && (op !== OP.CONNECT || connectOk);
    return conditional ? condArb(op).map((cond) => ({ opcode: op, action, cond } as Rule)) : fc.constant({ opcode: op, action } as Rule);
  });
  return fc.tuple(...rules).map((rs) => ({ name: 'random', holder, kernels, rules: rs, rest } as Policy));
});

/** Interesting values of a field for a policy: every constant it names, and its neighbours. */
export function boundaryValues(p: Policy, field: string): bigint[] {
  const out = new Set<bigint>([0n, 1n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn]);
  const add = (v: number) => { for (const d of [-1, 0, 1]) if (v + d >= 0) out.add(BigInt(v + d)); };
  const walk = (c: Cond) => {
    if ('a' in c) { walk(c.a); walk(c.b); return; }
    if (c.k === 'not') { walk(c.x); return; }
    if (c.field !== field) return;
    if (c.k === 'cmp') add(c.value);
    else if (c.k === 'in') for (const i of c.items) { add(i.lo); add(i.hi); }
    else if (c.k === 'has' || c.k === 'lacks') { add(c.bits); out.add(BigInt(c.bits) | 0x800n); out.add(BigInt(c.bits) & ~(BigInt(c.bits) & -BigInt(c.bits))); }
  };
  for (const r of p.rules) if (r.cond) walk(r.cond);
  return [...out];
}

/** A registration as a holder carries it: opcode, DENY_REST flag, program. */
export interface HeldRegistration { opcode: number; flags: number; insns: readonly Insn[] }

/**
 * What a holder already carries, for `compile --onto` properties: the filters a random
 * policy compiles to for `kernels` (none when it does not compile there) and up to two
 * random kernel-accepted programs on top (some the symbolic analysis cannot state),
 * maybe with DENY_REST.
 */
export function heldRegistrations(kernels: ProfileName[]): fc.Arbitrary<HeldRegistration[]> {
  return fc.tuple(policyArb, fc.array(fc.tuple(fc.constantFrom(...OPS), validProgram(40, 10), fc.boolean()), { maxLength: 2 })).map(([base, extra]) => {
    const c = compilePolicy({ ...base, kernels });
    const out: HeldRegistration[] = c.ok ? c.value.filters.map((f) => ({ opcode: f.opcode, flags: f.flags, insns: f.insns })) : [];
    for (const [opcode, insns, denyRest] of extra) out.push({ opcode, flags: denyRest ? 1 : 0, insns });
    return out;
  });
}
