// An io_uring instance's control state (kernel-semantics.md §2, §6, §7.2). The
// SQ and CQ are runtime state and live outside the world value (sim/syscall).

import type { RestrictionSet } from '../restriction/set.ts';
import type { Pid } from '../task/task.ts';

export interface RingRegistrations {
  /** Registered file table slots (0: none). */
  readonly files: number;
  /** Registered buffers (0: none). */
  readonly buffers: number;
  /** Registered personality ids. */
  readonly personalities: readonly number[];
  readonly nextPersonality: number;
}

export interface Ring {
  readonly id: number;
  /** io_uring_setup flags as given. */
  readonly flags: number;
  readonly sqEntries: number;
  readonly cqEntries: number;
  /** IORING_SETUP_R_DISABLED is still set (not yet enabled). */
  readonly disabled: boolean;
  /** ctx->submitter_task (SINGLE_ISSUER), or null. */
  readonly submitter: Pid | null;
  /** ctx->restrictions. */
  readonly rs: RestrictionSet;
  /** IO_RING_F_OP_RESTRICTED (7.0+), or ctx->restricted (before 7.0). */
  readonly opRestricted: boolean;
  /** IO_RING_F_REG_RESTRICTED (7.0+), or ctx->restricted (before 7.0). */
  readonly regRestricted: boolean;
  /** The register restrictions came from the creating task (7.2+ erratum 1). */
  readonly regInherited: boolean;
  /** ctx->bpf_filters: the table submission reads (differs from rs.table only after the 7.0-merge parse-failure bug). */
  readonly filterCache: number | null;
  /** Open file references (fds in any task's table). */
  readonly fileRefs: number;
  readonly creator: Pid;
  readonly reg: RingRegistrations;
}

export const NO_REGISTRATIONS: RingRegistrations = Object.freeze({ files: 0, buffers: 0, personalities: Object.freeze([]), nextPersonality: 1 });

/**
 * A ring record from its fields (one object shape for every ring). Records are
 * copied through here, not with a spread: V8 copies a spread of a frozen object
 * ten times slower than this (measured on Node 20), and a polymorphic spread site
 * turns slow for every object it copies.
 */
export function copyRing(r: Ring): { -readonly [K in keyof Ring]: Ring[K] } {
  return {
    id: r.id, flags: r.flags, sqEntries: r.sqEntries, cqEntries: r.cqEntries, disabled: r.disabled, submitter: r.submitter,
    rs: r.rs, opRestricted: r.opRestricted, regRestricted: r.regRestricted, regInherited: r.regInherited,
    filterCache: r.filterCache, fileRefs: r.fileRefs, creator: r.creator, reg: r.reg,
  };
}
