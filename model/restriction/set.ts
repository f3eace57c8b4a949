// struct io_restriction as a value (kernel-semantics.md §3.1): the legacy policy,
// the filter table this holder points at, and its copy-on-write flag. Tasks hold
// one (or none); every ring embeds one.

import type { LegacyPolicy } from './legacy.ts';

export interface RestrictionSet {
  /** Legacy bitmaps and masks, or null when none were registered (a BPF-only set). */
  readonly legacy: LegacyPolicy | null;
  /** bpf_filters: the id of the table this set points at, or null. */
  readonly table: number | null;
  /** bpf_filters_cow: the next own registration must copy the table first. */
  readonly cow: boolean;
}

export const EMPTY_SET: RestrictionSet = Object.freeze({ legacy: null, table: null, cow: false });

/** A set from its fields (one object shape; see copyRing in model/ring/ring.ts for why not a spread). */
export function makeSet(legacy: LegacyPolicy | null, table: number | null, cow: boolean): RestrictionSet {
  return { legacy, table, cow };
}
