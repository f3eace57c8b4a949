// The parsed form of a policy (docs/policy.md): what a person wants a holder to be
// able to do with io_uring, before any filter exists. Names are resolved to numbers
// here; `loc` is kept for located errors and dropped by the JSON form.

import type { SourceLoc } from '../errors.ts';
import type { ProfileName } from '../profile/profiles.ts';

export type Holder = 'task' | 'ring';

/** A value or an inclusive range inside `in {...}`. */
export interface Item { lo: number; hi: number }

export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Cond =
  | { k: 'and' | 'or'; a: Cond; b: Cond; loc?: SourceLoc }
  | { k: 'not'; x: Cond; loc?: SourceLoc }
  | { k: 'cmp'; field: string; op: CmpOp; value: number; loc?: SourceLoc }
  | { k: 'in'; field: string; negated: boolean; items: Item[]; loc?: SourceLoc }
  /** `has`: every bit set; `lacks`: no bit set. */
  | { k: 'has' | 'lacks'; field: string; bits: number; loc?: SourceLoc };

export interface Rule {
  opcode: number;
  action: 'allow' | 'deny';
  /** `allow OP if COND` / `deny OP if COND`; absent: unconditional. */
  cond?: Cond;
  loc?: SourceLoc;
}

export interface Policy {
  name: string;
  holder: Holder;
  kernels: ProfileName[];
  rules: Rule[];
  /** What opcodes without a rule get: `deny rest` (DENY_REST) or `allow rest` (the default). */
  rest: 'allow' | 'deny';
  /** Legacy restrictions, each absent when the policy does not state it. */
  sqeOps?: number[];
  sqeFlags?: { allowed: number; required: number };
  registerOps?: number[];
  /** Where each part was written, for messages about them. */
  locs?: { header?: SourceLoc; rest?: SourceLoc; sqeOps?: SourceLoc; sqeFlags?: SourceLoc; registerOps?: SourceLoc; kernels?: SourceLoc; holder?: SourceLoc };
}
