// The context fields a policy condition may name, per opcode: the payload the
// kernel passes to filters (kernel-semantics.md §1.4), named after the context's
// members in model/abi/ctx.ts, with the symbol tables of model/abi/symbols.ts.

import { OP } from '../abi/opcodes.ts';
import type { SymbolKind } from '../abi/symbols.ts';
import type { CtxField } from '../abi/ctx.ts';
import type { KernelProfile } from '../profile/profiles.ts';

export type Member = 'socket' | 'open' | 'connect';

export interface PolicyField {
  /** What a policy writes: `family`. */
  name: string;
  /** The context field it reads: `socket.family`. */
  ctx: string;
  member: Member;
  /** Largest value the field can hold (2^32-1 for u32 and for the u64 open fields' constants). */
  max: number;
  /** Symbol kinds its values may name. */
  kinds: SymbolKind[];
  /** Bits of the passed value the policy looks at (socket type: SOCK_TYPE_MASK, see docs/policy.md). */
  mask?: number;
  /** Written as a dotted IPv4 address. */
  ipv4?: boolean;
  /** Equality only (no ranges, no bit tests). */
  eqOnly?: boolean;
}

const U32 = 0xffffffff;

export const MEMBER_FIELDS: Record<Member, PolicyField[]> = {
  socket: [
    { name: 'family', ctx: 'socket.family', member: 'socket', max: U32, kinds: ['af'] },
    // 7.3 passes type & SOCK_TYPE_MASK, 7.0-7.2 the raw word: a policy means the masked
    // type everywhere, and the compiler masks where the kernel does not.
    { name: 'type', ctx: 'socket.type', member: 'socket', max: 0xf, kinds: ['sock'], mask: 0xf },
    { name: 'protocol', ctx: 'socket.protocol', member: 'socket', max: U32, kinds: ['ipproto'] },
  ],
  open: [
    { name: 'flags', ctx: 'open.flags', member: 'open', max: U32, kinds: ['open_flag'] },
    { name: 'mode', ctx: 'open.mode', member: 'open', max: U32, kinds: [] },
    { name: 'resolve', ctx: 'open.resolve', member: 'open', max: U32, kinds: ['resolve'] },
  ],
  connect: [
    { name: 'family', ctx: 'connect.family', member: 'connect', max: 0xffff, kinds: ['af'] },
    { name: 'port', ctx: 'connect.port', member: 'connect', max: 0xffff, kinds: [] },
    { name: 'addr', ctx: 'connect.v4_addr', member: 'connect', max: U32, kinds: [], ipv4: true, eqOnly: true },
  ],
};

/** The payload member an opcode's filter context carries on some kernel (the newest profiles' table). */
export const OPCODE_MEMBER: Readonly<Record<number, Member>> = {
  [OP.SOCKET]: 'socket', [OP.OPENAT]: 'open', [OP.OPENAT2]: 'open', [OP.CONNECT]: 'connect',
};

export function fieldsOf(opcode: number): PolicyField[] {
  const m = OPCODE_MEMBER[opcode];
  return m ? MEMBER_FIELDS[m] : [];
}

export function findPolicyField(opcode: number, name: string): PolicyField | undefined {
  return fieldsOf(opcode).find((f) => f.name === name);
}

/** The context field's layout entry in a profile (undefined when the profile lacks it). */
export function ctxFieldOf(p: KernelProfile, f: PolicyField): CtxField | undefined {
  return p.ctx.fields.find((x) => x.name === f.ctx);
}

/** Fields every condition of a rule names. */
export function condFields(c: import('./ast.ts').Cond): string[] {
  switch (c.k) {
    case 'and': case 'or': return [...condFields(c.a), ...condFields(c.b)];
    case 'not': return condFields(c.x);
    default: return [c.field];
  }
}
