// The intent's meaning, stated directly: given the field values the kernel passes
// for a request, is it allowed? This is the independent statement the compiler's
// output is tested against (property tests run the VM on the emitted filters and
// compare with this); it shares no code with the compiler or the proof.

import type { Cond, Policy } from './ast.ts';
import { findPolicyField } from './fields.ts';

/** Field values as the kernel passes them, by context field name ('socket.type': raw on 7.0-7.2, masked on 7.3). */
export type FieldValues = Readonly<Record<string, bigint>>;

function value(opcode: number, name: string, v: FieldValues): bigint {
  const f = findPolicyField(opcode, name);
  if (!f) throw new Error(`no field ${name} for opcode ${opcode}`);
  const raw = v[f.ctx] ?? 0n;
  return f.mask === undefined ? raw : raw & BigInt(f.mask);
}

export function condHolds(opcode: number, c: Cond, v: FieldValues): boolean {
  switch (c.k) {
    case 'and': return condHolds(opcode, c.a, v) && condHolds(opcode, c.b, v);
    case 'or': return condHolds(opcode, c.a, v) || condHolds(opcode, c.b, v);
    case 'not': return !condHolds(opcode, c.x, v);
    case 'cmp': {
      const x = value(opcode, c.field, v), y = BigInt(c.value);
      switch (c.op) {
        case '==': return x === y;
        case '!=': return x !== y;
        case '<': return x < y;
        case '<=': return x <= y;
        case '>': return x > y;
        case '>=': return x >= y;
      }
      return false;
    }
    case 'in': {
      const x = value(opcode, c.field, v);
      const inside = c.items.some((it) => BigInt(it.lo) <= x && x <= BigInt(it.hi));
      return c.negated ? !inside : inside;
    }
    case 'has': return (value(opcode, c.field, v) & BigInt(c.bits)) === BigInt(c.bits);
    case 'lacks': return (value(opcode, c.field, v) & BigInt(c.bits)) === 0n;
  }
}

/** What the policy's rules say about a request of this opcode (legacy parts aside). */
export function ruleAllows(p: Policy, opcode: number, v: FieldValues): boolean {
  const r = p.rules.find((x) => x.opcode === opcode);
  if (!r) return p.rest === 'allow';
  const holds = r.cond ? condHolds(opcode, r.cond, v) : true;
  return r.action === 'allow' ? holds : !holds;
}

/** The legacy SQE op allow list (every opcode when the policy has none). */
export function legacyOpAllowed(p: Policy, opcode: number): boolean {
  return p.sqeOps === undefined || p.sqeOps.includes(opcode);
}

/** The legacy SQE flag masks (any flags when the policy has none). */
export function legacyFlagsAllowed(p: Policy, sqeFlags: number): boolean {
  if (!p.sqeFlags) return true;
  const { allowed, required } = p.sqeFlags;
  return (sqeFlags & required) === required && (sqeFlags & ~(allowed | required)) === 0;
}

/** The whole verdict on a request: legacy op list, then the rules. */
export function intentAllows(p: Policy, opcode: number, v: FieldValues, sqeFlags = 0): boolean {
  return legacyOpAllowed(p, opcode) && legacyFlagsAllowed(p, sqeFlags) && ruleAllows(p, opcode, v);
}

/** The legacy register-op allow list. */
export function registerOpAllowed(p: Policy, op: number): boolean {
  return p.registerOps === undefined || p.registerOps.includes(op);
}
